package dev.spinup.testing;

import static dev.spinup.testing.ApiAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.ArchiveWorkspaceRequest;
import dev.spinup.api.v1.CreateEnrollmentTokenRequest;
import dev.spinup.api.v1.DeleteWorkspaceRequest;
import dev.spinup.api.v1.DrainHostRequest;
import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.Flavor;
import dev.spinup.api.v1.GetHostRequest;
import dev.spinup.api.v1.ListHostsRequest;
import dev.spinup.api.v1.ListOrphansRequest;
import dev.spinup.api.v1.ListRegionsRequest;
import dev.spinup.api.v1.ListWorkspacesRequest;
import dev.spinup.api.v1.ListWorkspacesResponse;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.api.v1.ResizeWorkspaceRequest;
import dev.spinup.api.v1.RestoreWorkspaceRequest;
import dev.spinup.api.v1.SuspendWorkspaceRequest;
import dev.spinup.api.v1.UndrainHostRequest;
import dev.spinup.api.v1.WorkspaceServiceGrpc.WorkspaceServiceBlockingStub;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.controlplane.core.Ids;
import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.core.ProjectTemplate;
import dev.spinup.controlplane.core.Snapshot;
import dev.spinup.controlplane.core.Workspace;
import dev.spinup.controlplane.core.WorkspaceState;
import io.grpc.Status;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The API contract, independent of what the agents do: which verb is accepted from which state
 * (pinned as a literal below), conflicts, idempotency, pagination and scopes.
 */
class ApiContractTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    static SpinUpCluster cluster;
    static UUID host;
    static final Clock clock = Clock.systemUTC();

    /** The verbs with an RPC on an existing workspace, and how to call each. */
    static final Map<OperationVerb, BiFunction<WorkspaceServiceBlockingStub, String, Operation>> CALLS = Map.of(
            OperationVerb.SUSPEND,
                    (c, id) -> c.suspendWorkspace(SuspendWorkspaceRequest.newBuilder()
                                    .setRequestId(rid())
                                    .setWorkspaceId(id)
                                    .build())
                            .getOperation(),
            OperationVerb.ARCHIVE,
                    (c, id) -> c.archiveWorkspace(ArchiveWorkspaceRequest.newBuilder()
                                    .setRequestId(rid())
                                    .setWorkspaceId(id)
                                    .build())
                            .getOperation(),
            OperationVerb.RESTORE,
                    (c, id) -> c.restoreWorkspace(RestoreWorkspaceRequest.newBuilder()
                                    .setRequestId(rid())
                                    .setWorkspaceId(id)
                                    .build())
                            .getOperation(),
            OperationVerb.RESIZE,
                    (c, id) -> c.resizeWorkspace(ResizeWorkspaceRequest.newBuilder()
                                    .setRequestId(rid())
                                    .setWorkspaceId(id)
                                    .setFlavor(Flavor.FLAVOR_PRO)
                                    .build())
                            .getOperation(),
            OperationVerb.DELETE,
                    (c, id) -> c.deleteWorkspace(DeleteWorkspaceRequest.newBuilder()
                                    .setRequestId(rid())
                                    .setWorkspaceId(id)
                                    .build())
                            .getOperation(),
            OperationVerb.SET_SHARING,
                    (c, id) -> c.setSharing(dev.spinup.api.v1.SetSharingRequest.newBuilder()
                                    .setRequestId(rid())
                                    .setWorkspaceId(id)
                                    .setTarget(dev.spinup.api.v1.AccessTarget.ACCESS_TARGET_APP)
                                    .setSharing(dev.spinup.api.v1.Sharing.SHARING_PUBLIC)
                                    .build())
                            .getOperation());

    /**
     * The lifecycle table as the README states it, written out here rather than asked of the code:
     * each verb with the states it may start from. Every other (verb, state) pair is refused.
     */
    static final Map<OperationVerb, Set<WorkspaceState>> ALLOWED_FROM = Map.of(
            OperationVerb.SUSPEND, Set.of(WorkspaceState.ACTIVE),
            OperationVerb.ARCHIVE, Set.of(WorkspaceState.ACTIVE, WorkspaceState.SUSPENDED),
            OperationVerb.RESTORE, Set.of(WorkspaceState.SUSPENDED, WorkspaceState.ARCHIVED),
            OperationVerb.RESIZE, Set.of(WorkspaceState.ACTIVE, WorkspaceState.SUSPENDED),
            OperationVerb.DELETE, Set.of(WorkspaceState.ACTIVE, WorkspaceState.SUSPENDED, WorkspaceState.ARCHIVED),
            OperationVerb.SET_SHARING,
                    Set.of(WorkspaceState.ACTIVE, WorkspaceState.SUSPENDED, WorkspaceState.ARCHIVED));

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        host = Ids.newId(clock);
        cluster.database().inTransactionVoid(tx -> {
            tx.fleet().registerHost(host, SpinUpCluster.REGION, "contract-host", new Envelope(1000, 4000, 100000));
            tx.fleet().heartbeat(host, clock.instant());
        });
    }

    static Stream<Arguments> verbsAndStates() {
        return CALLS.keySet().stream()
                .sorted()
                .flatMap(verb -> Stream.of(WorkspaceState.values()).map(state -> Arguments.of(verb, state)));
    }

    @ParameterizedTest(name = "{0} from {1}")
    @MethodSource("verbsAndStates")
    void everyVerbFromEveryStateFollowsTheLifecycleTable(OperationVerb verb, WorkspaceState state) {
        UUID id = workspaceIn(state);
        if (ALLOWED_FROM.get(verb).contains(state)) {
            Operation op = CALLS.get(verb).apply(cluster.product(), id.toString());
            assertThat(op.getVerb().name()).isEqualTo("OPERATION_VERB_" + verb.name());
            assertThat(op.getStatus())
                    .isIn(OperationStatus.OPERATION_STATUS_PENDING, OperationStatus.OPERATION_STATUS_RUNNING);
        } else {
            var info = assertError(
                    () -> CALLS.get(verb).apply(cluster.product(), id.toString()),
                    Status.Code.FAILED_PRECONDITION,
                    ErrorReason.ERROR_REASON_INVALID_STATE_TRANSITION);
            assertThat(info.getMetadataMap())
                    .containsEntry("state", state.name())
                    .containsEntry("verb", verb.name());
        }
    }

    @Test
    void aSecondTransitionWhileOneIsInFlightIsAbortedWithTheInFlightId() {
        UUID id = workspaceIn(WorkspaceState.ACTIVE);
        SuspendWorkspaceRequest suspend = SuspendWorkspaceRequest.newBuilder()
                .setRequestId(rid())
                .setWorkspaceId(id.toString())
                .build();
        Operation inFlight = cluster.product().suspendWorkspace(suspend).getOperation();

        var info = assertError(
                () -> CALLS.get(OperationVerb.ARCHIVE).apply(cluster.product(), id.toString()),
                Status.Code.ABORTED,
                ErrorReason.ERROR_REASON_OPERATION_IN_PROGRESS);
        assertThat(info.getMetadataMap()).containsEntry("operationId", inFlight.getId());
        assertError(
                () -> CALLS.get(OperationVerb.SUSPEND).apply(cluster.product(), id.toString()),
                Status.Code.ABORTED,
                ErrorReason.ERROR_REASON_OPERATION_IN_PROGRESS);
        assertThat(cluster.product().suspendWorkspace(suspend).getOperation().getId())
                .as("a retry is not a conflict")
                .isEqualTo(inFlight.getId());
    }

    @Test
    void aRequestIdCannotBeReusedForAnotherRequest() {
        UUID a = workspaceIn(WorkspaceState.ACTIVE);
        UUID b = workspaceIn(WorkspaceState.ACTIVE);
        String requestId = rid();
        Operation first = cluster.product()
                .suspendWorkspace(SuspendWorkspaceRequest.newBuilder()
                        .setRequestId(requestId)
                        .setWorkspaceId(a.toString())
                        .build())
                .getOperation();

        var other = assertError(
                () -> cluster.product()
                        .suspendWorkspace(SuspendWorkspaceRequest.newBuilder()
                                .setRequestId(requestId)
                                .setWorkspaceId(b.toString())
                                .build())
                        .getOperation(),
                Status.Code.INVALID_ARGUMENT,
                ErrorReason.ERROR_REASON_REQUEST_ID_REUSED);
        assertThat(other.getMetadataMap()).containsEntry("operationId", first.getId());
        assertError(
                () -> cluster.product()
                        .deleteWorkspace(DeleteWorkspaceRequest.newBuilder()
                                .setRequestId(requestId)
                                .setWorkspaceId(a.toString())
                                .build())
                        .getOperation(),
                Status.Code.INVALID_ARGUMENT,
                ErrorReason.ERROR_REASON_REQUEST_ID_REUSED);
    }

    @Test
    void pagesStayStableWhileWorkspacesAreInserted() throws Exception {
        String region = "paging";
        cluster.database().inTransactionVoid(tx -> tx.fleet().ensureRegion(region, "Paging"));
        Set<UUID> before = new HashSet<>();
        for (int i = 0; i < 60; i++) {
            before.add(workspaceIn(WorkspaceState.SUSPENDED, region));
        }
        AtomicBoolean inserting = new AtomicBoolean(true);
        Thread writer = Thread.ofVirtual().start(() -> {
            while (inserting.get()) {
                workspaceIn(WorkspaceState.SUSPENDED, region);
            }
        });
        List<String> seen = new ArrayList<>();
        try {
            String token = "";
            do {
                ListWorkspacesResponse page = cluster.product()
                        .listWorkspaces(ListWorkspacesRequest.newBuilder()
                                .setRegion(region)
                                .setPageSize(7)
                                .setPageToken(token)
                                .build());
                assertThat(page.getWorkspacesCount()).isLessThanOrEqualTo(7);
                page.getWorkspacesList().forEach(w -> seen.add(w.getId()));
                token = page.getNextPageToken();
            } while (!token.isEmpty() && seen.size() < 1000);
        } finally {
            inserting.set(false);
            writer.join();
        }
        assertThat(seen).doesNotHaveDuplicates();
        assertThat(seen).isSortedAccordingTo(String::compareTo);
        assertThat(seen.stream().map(UUID::fromString).toList()).containsAll(before);
    }

    /**
     * AIP-158: a page_size above the maximum gets the maximum, not an error; a page_token
     * continues only the list it came from (page_size may change, the filters may not).
     */
    @Test
    void pagesAreCoercedToTheMaximumAndTokensBoundToTheirFilters() {
        String region = "paging-" + UUID.randomUUID().toString().substring(0, 8);
        cluster.database().inTransactionVoid(tx -> tx.fleet().ensureRegion(region, "Paging"));
        cluster.database()
                .withHandle(h -> h.createUpdate("""
                        INSERT INTO workspaces (id, external_workspace_id, external_user_id, display_name, region_id,
                            flavor, vcpu, ram_gb, disk_gb, state, template)
                        SELECT gen_random_uuid(), 'paged-' || gen_random_uuid(), 'u', 'paged', :region,
                            'hobby', 1, 1, 5, 'archived', 'starter'
                        FROM generate_series(1, 510)""").bind("region", region).execute());

        ListWorkspacesResponse first = cluster.product()
                .listWorkspaces(ListWorkspacesRequest.newBuilder()
                        .setRegion(region)
                        .setPageSize(100_000)
                        .build());
        assertThat(first.getWorkspacesCount()).as("coerced to the maximum").isEqualTo(500);
        assertThat(first.getNextPageToken()).isNotEmpty();

        ListWorkspacesResponse rest = cluster.product()
                .listWorkspaces(ListWorkspacesRequest.newBuilder()
                        .setRegion(region)
                        .setPageSize(20)
                        .setPageToken(first.getNextPageToken())
                        .build());
        assertThat(rest.getWorkspacesCount()).as("another page size, same list").isEqualTo(10);
        assertThat(rest.getNextPageToken()).isEmpty();

        var info = assertError(
                () -> cluster.product()
                        .listWorkspaces(ListWorkspacesRequest.newBuilder()
                                .setRegion(SpinUpCluster.REGION)
                                .setPageToken(first.getNextPageToken())
                                .build()),
                Status.Code.INVALID_ARGUMENT,
                ErrorReason.ERROR_REASON_PAGE_TOKEN_FILTERS_CHANGED);
        assertThat(info.getMetadataMap()).containsEntry("field", "page_token");
        assertError(
                () -> cluster.product()
                        .listOperations(dev.spinup.api.v1.ListOperationsRequest.newBuilder()
                                .setPageToken(first.getNextPageToken())
                                .build()),
                Status.Code.INVALID_ARGUMENT,
                ErrorReason.ERROR_REASON_PAGE_TOKEN_FILTERS_CHANGED);
    }

    /** ListRegions, ListDomains and ListOrphans page like the other lists: all of it, once each. */
    @Test
    void everyListPages() {
        String prefix = "pages-" + UUID.randomUUID().toString().substring(0, 6);
        UUID ws = workspaceIn(WorkspaceState.ACTIVE);
        cluster.database().inTransactionVoid(tx -> {
            for (int i = 0; i < 5; i++) {
                tx.fleet().ensureRegion(prefix + "-" + i, "Pages " + i);
                tx.domains()
                        .insert(
                                Ids.newId(clock),
                                ws,
                                "d" + i + "." + prefix + ".example.com",
                                "custom",
                                clock.instant());
            }
        });
        cluster.database()
                .withHandle(h -> h.createUpdate(
                                "INSERT INTO host_orphans (host_id, workspace_id, local_state) SELECT :host, 'orphan-' || n, 'running' FROM generate_series(1, 5) n")
                        .bind("host", host)
                        .execute());

        List<String> regions = new ArrayList<>();
        List<String> domains = new ArrayList<>();
        List<String> orphans = new ArrayList<>();
        String token = "";
        do {
            var page = cluster.admin()
                    .listRegions(ListRegionsRequest.newBuilder()
                            .setPageSize(2)
                            .setPageToken(token)
                            .build());
            assertThat(page.getRegionsCount()).isLessThanOrEqualTo(2);
            page.getRegionsList().forEach(r -> regions.add(r.getId()));
            token = page.getNextPageToken();
        } while (!token.isEmpty());
        do {
            var page = cluster.product()
                    .listDomains(dev.spinup.api.v1.ListDomainsRequest.newBuilder()
                            .setWorkspaceId(ws.toString())
                            .setPageSize(2)
                            .setPageToken(token)
                            .build());
            page.getDomainsList().forEach(d -> domains.add(d.getDomain()));
            token = page.getNextPageToken();
        } while (!token.isEmpty());
        do {
            var page = cluster.admin()
                    .listOrphans(ListOrphansRequest.newBuilder()
                            .setHostId(host.toString())
                            .setPageSize(2)
                            .setPageToken(token)
                            .build());
            page.getOrphansList().forEach(o -> orphans.add(o.getWorkspaceId()));
            token = page.getNextPageToken();
        } while (!token.isEmpty());

        assertThat(regions).doesNotHaveDuplicates().isSorted().contains(prefix + "-0", prefix + "-4");
        assertThat(domains)
                .doesNotHaveDuplicates()
                .filteredOn(d -> d.contains(prefix))
                .hasSize(5);
        assertThat(orphans).containsExactly("orphan-1", "orphan-2", "orphan-3", "orphan-4", "orphan-5");
    }

    @Test
    void listsFilterByStateAndRegion() {
        UUID archived = workspaceIn(WorkspaceState.ARCHIVED);
        List<String> ids = cluster
                .product()
                .listWorkspaces(ListWorkspacesRequest.newBuilder()
                        .setState(dev.spinup.api.v1.WorkspaceState.WORKSPACE_STATE_ARCHIVED)
                        .setRegion(SpinUpCluster.REGION)
                        .setPageSize(500)
                        .build())
                .getWorkspacesList()
                .stream()
                .peek(w -> {
                    assertThat(w.getState()).isEqualTo(dev.spinup.api.v1.WorkspaceState.WORKSPACE_STATE_ARCHIVED);
                    assertThat(w.getRegion()).isEqualTo(SpinUpCluster.REGION);
                })
                .map(w -> w.getId())
                .toList();
        assertThat(ids).contains(archived.toString());
    }

    @Test
    void everyAdminRpcNeedsTheAdminScope() {
        WorkspaceServiceBlockingStub product = cluster.product();
        String h = host.toString();
        List<Runnable> adminCalls = List.of(
                () -> product.listRegions(ListRegionsRequest.getDefaultInstance()),
                () -> product.getRegion(dev.spinup.api.v1.GetRegionRequest.newBuilder()
                        .setRegion(SpinUpCluster.REGION)
                        .build()),
                () -> product.setRegionCapacity(dev.spinup.api.v1.SetRegionCapacityRequest.newBuilder()
                        .setRegion(SpinUpCluster.REGION)
                        .build()),
                () -> product.listHosts(ListHostsRequest.getDefaultInstance()),
                () -> product.getHost(GetHostRequest.newBuilder().setHostId(h).build())
                        .getHost(),
                () -> product.drainHost(
                                DrainHostRequest.newBuilder().setHostId(h).build())
                        .getHost(),
                () -> product.undrainHost(
                                UndrainHostRequest.newBuilder().setHostId(h).build())
                        .getHost(),
                () -> product.evacuateHost(dev.spinup.api.v1.EvacuateHostRequest.newBuilder()
                                .setHostId(h)
                                .build())
                        .getHost(),
                () -> product.declareHostLost(dev.spinup.api.v1.DeclareHostLostRequest.newBuilder()
                                .setHostId(h)
                                .setReason("not mine to say")
                                .build())
                        .getHost(),
                () -> product.createEnrollmentToken(CreateEnrollmentTokenRequest.newBuilder()
                        .setRegion(SpinUpCluster.REGION)
                        .build()),
                () -> product.listOrphans(
                        ListOrphansRequest.newBuilder().setHostId(h).build()),
                () -> product.createApiToken(dev.spinup.api.v1.CreateApiTokenRequest.newBuilder()
                        .setName("not-by-a-product")
                        .addScopes("admin")
                        .build()),
                () -> product.listApiTokens(dev.spinup.api.v1.ListApiTokensRequest.getDefaultInstance()),
                () -> product.revokeApiToken(dev.spinup.api.v1.RevokeApiTokenRequest.newBuilder()
                        .setName("anything")
                        .build()));
        assertThat(adminCalls).hasSize(dev.spinup.controlplane.auth.AuthInterceptor.ADMIN_METHODS.size());
        for (Runnable call : adminCalls) {
            var info = assertError(call::run, Status.Code.PERMISSION_DENIED, ErrorReason.ERROR_REASON_SCOPE_REQUIRED);
            assertThat(info.getMetadataMap()).containsEntry("scope", "admin");
        }
    }

    @Test
    void durationsArePublishedAndInFlightOperationsCarryAnEstimate() {
        UUID done = workspaceIn(WorkspaceState.SUSPENDED);
        Instant t0 = clock.instant().minusSeconds(3600);
        // three suspends while the workspace was HOBBY (as it is now), and one from a time it was
        // TEAM: that one is filed under TEAM, the flavor it ran at
        for (int seconds : new int[] {10, 20, 30, 100}) {
            UUID op = Ids.newId(clock);
            cluster.database()
                    .withHandle(h -> h.execute(
                            """
                    INSERT INTO operations (id, workspace_id, verb, flavor, status, request_id, request_fingerprint,
                        actor, job_id, requested_at, started_at, completed_at)
                    VALUES (?, ?, 'suspend', ?, 'succeeded', ?, 'f', 'system', ?, ?, ?, ?)""",
                            op,
                            done,
                            seconds == 100 ? "team" : "hobby",
                            "seed-" + op,
                            op.toString(),
                            java.sql.Timestamp.from(t0),
                            java.sql.Timestamp.from(t0),
                            java.sql.Timestamp.from(t0.plusSeconds(seconds))));
        }

        var durations = cluster.product()
                .getOperationDurations(dev.spinup.api.v1.GetOperationDurationsRequest.getDefaultInstance())
                .getDurationsList();
        var stat = durations.stream()
                .filter(d -> d.getVerb() == dev.spinup.api.v1.OperationVerb.OPERATION_VERB_SUSPEND
                        && d.getFlavor() == Flavor.FLAVOR_HOBBY)
                .findFirst()
                .orElseThrow();
        assertThat(stat.getSampleCount()).isEqualTo(3);
        assertThat(stat.getP50().getSeconds()).isEqualTo(20);
        assertThat(stat.getP95().getSeconds()).isEqualTo(29);
        assertThat(durations.stream()
                        .filter(d -> d.getVerb() == dev.spinup.api.v1.OperationVerb.OPERATION_VERB_SUSPEND
                                && d.getFlavor() == Flavor.FLAVOR_TEAM)
                        .findFirst()
                        .orElseThrow()
                        .getSampleCount())
                .as("a suspend made while the workspace was TEAM, filed under TEAM")
                .isEqualTo(1);

        Operation inFlight = CALLS.get(OperationVerb.SUSPEND)
                .apply(cluster.product(), workspaceIn(WorkspaceState.ACTIVE).toString());
        Operation polled = cluster.product()
                .getOperation(dev.spinup.api.v1.GetOperationRequest.newBuilder()
                        .setOperationId(inFlight.getId())
                        .build())
                .getOperation();
        assertThat(polled.hasEstimatedCompletionAt()).isTrue();
        assertThat(polled.getEstimatedCompletionAt().getSeconds()
                        - polled.getRequestedAt().getSeconds())
                .isBetween(19L, 21L);
    }

    static UUID workspaceIn(WorkspaceState state) {
        return workspaceIn(state, SpinUpCluster.REGION);
    }

    /** A workspace row in {@code state} on the test host (archived ones with a verified snapshot). */
    static UUID workspaceIn(WorkspaceState state, String region) {
        UUID id = Ids.newId(clock);
        Instant now = clock.instant();
        cluster.database().inTransactionVoid(tx -> {
            tx.workspaces()
                    .insert(new Workspace(
                            id,
                            "ext-" + id,
                            "user-1",
                            "contract",
                            region,
                            host,
                            dev.spinup.controlplane.core.Flavor.HOBBY,
                            new Envelope(1, 1, 5),
                            state,
                            null,
                            ProjectTemplate.STARTER,
                            Map.of(),
                            null,
                            86400,
                            30,
                            now,
                            now,
                            null,
                            false,
                            null,
                            java.util.List.of(),
                            java.util.List.of(),
                            ""));
            if (state == WorkspaceState.ARCHIVED) {
                UUID snapshot = Ids.newId(clock);
                String uri = "s3://" + SpinUpCluster.BUCKET + "/x";
                tx.snapshots().begin(snapshot, id, uri, "pre_archive", now);
                tx.snapshots()
                        .record(new Snapshot(
                                snapshot, id, uri, 1, "0".repeat(64), "tar", "pre_archive", null, now, null, null));
                tx.snapshots().markVerified(snapshot, now);
            }
        });
        return id;
    }

    static String rid() {
        return "req-" + UUID.randomUUID();
    }
}
