package dev.spinup.testing;

import static dev.spinup.testing.ApiAssertions.assertError;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.spinup.api.v1.CreateWorkspaceRequest;
import dev.spinup.api.v1.Envelope;
import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.Flavor;
import dev.spinup.api.v1.GetOperationRequest;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.ListOperationsRequest;
import dev.spinup.api.v1.ListRegionsRequest;
import dev.spinup.api.v1.ListWorkspacesRequest;
import dev.spinup.api.v1.ProjectTemplate;
import dev.spinup.api.v1.SuspendWorkspaceRequest;
import dev.spinup.api.v1.WorkspaceServiceGrpc.WorkspaceServiceBlockingStub;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed and boundary requests are refused with a status and a reason from the closed enum,
 * and never reach the database as an exception (no INTERNAL, no UNKNOWN).
 */
class BadInputTest {
    @RegisterExtension
    static final SpinUpExtension spinup =
            SpinUpExtension.with(b -> b.offeredTemplates(Set.of(dev.spinup.controlplane.core.ProjectTemplate.STARTER)));

    static SpinUpCluster cluster;

    private static final String UNKNOWN_ID = "01234567-89ab-7def-8123-456789abcdef";

    @BeforeAll
    static void start() {
        // this installation offers only the starter template, so NEXTJS is a template not offered
        cluster = spinup.cluster();
    }

    record Case(String name, Consumer<WorkspaceServiceBlockingStub> call) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                bad(
                        "empty create",
                        c -> c.createWorkspace(CreateWorkspaceRequest.getDefaultInstance())
                                .getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_REQUEST_ID_MISSING),
                bad(
                        "request_id with a space",
                        c -> c.createWorkspace(valid().setRequestId("a b").build())
                                .getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_FIELD_INVALID),
                bad(
                        "request_id of 129 characters",
                        c -> c.createWorkspace(
                                        valid().setRequestId("r".repeat(129)).build())
                                .getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_FIELD_INVALID),
                bad(
                        "missing external_workspace_id",
                        c -> c.createWorkspace(
                                        valid().clearExternalWorkspaceId().build())
                                .getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_FIELD_REQUIRED),
                bad(
                        "missing external_user_id",
                        c -> c.createWorkspace(valid().clearExternalUserId().build())
                                .getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_FIELD_REQUIRED),
                bad(
                        "missing display_name",
                        c -> c.createWorkspace(valid().setDisplayName("   ").build())
                                .getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_FIELD_REQUIRED),
                bad(
                        "huge display_name (64 KiB)",
                        c -> c.createWorkspace(valid().setDisplayName("x".repeat(1 << 16))
                                        .build())
                                .getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_FIELD_INVALID),
                bad(
                        "request over the 1 MiB limit",
                        c -> c.createWorkspace(valid().setDisplayName("x".repeat(1 << 20))
                                        .build())
                                .getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_MALFORMED_REQUEST),
                bad(
                        "NUL in display_name",
                        c -> c.createWorkspace(
                                        valid().setDisplayName("a\u0000b").build())
                                .getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_FIELD_INVALID),
                bad(
                        "NUL in external_user_id",
                        c -> c.createWorkspace(
                                        valid().setExternalUserId("\u0000").build())
                                .getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_FIELD_INVALID),
                bad(
                        "flavor unspecified",
                        c -> c.createWorkspace(valid().clearFlavor().build()).getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_UNKNOWN_FLAVOR),
                bad(
                        "flavor 999",
                        c -> c.createWorkspace(valid().setFlavorValue(999).build())
                                .getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_UNKNOWN_FLAVOR),
                bad(
                        "missing region",
                        c -> c.createWorkspace(valid().clearRegion().build()).getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_FIELD_REQUIRED),
                bad(
                        "unknown region",
                        c -> c.createWorkspace(valid().setRegion("mars-1").build())
                                .getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_UNKNOWN_REGION),
                bad(
                        "malformed region",
                        c -> c.createWorkspace(
                                        valid().setRegion("Mars 1; DROP TABLE").build())
                                .getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_UNKNOWN_REGION),
                bad(
                        "custom flavor without envelope",
                        c -> c.createWorkspace(
                                        valid().setFlavor(Flavor.FLAVOR_CUSTOM).build())
                                .getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_FIELD_REQUIRED),
                bad(
                        "custom envelope of zeros",
                        c -> c.createWorkspace(valid().setFlavor(Flavor.FLAVOR_CUSTOM)
                                        .setCustomEnvelope(Envelope.getDefaultInstance())
                                        .build())
                                .getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_ENVELOPE_INVALID),
                bad(
                        "custom envelope negative",
                        c -> c.createWorkspace(valid().setFlavor(Flavor.FLAVOR_CUSTOM)
                                        .setCustomEnvelope(Envelope.newBuilder()
                                                .setVcpu(-1)
                                                .setRamGb(1)
                                                .setDiskGb(1))
                                        .build())
                                .getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_ENVELOPE_INVALID),
                bad(
                        "custom envelope too big",
                        c -> c.createWorkspace(valid().setFlavor(Flavor.FLAVOR_CUSTOM)
                                        .setCustomEnvelope(Envelope.newBuilder()
                                                .setVcpu(Integer.MAX_VALUE)
                                                .setRamGb(1)
                                                .setDiskGb(1))
                                        .build())
                                .getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_ENVELOPE_INVALID),
                bad(
                        "envelope on a fixed flavor",
                        c -> c.createWorkspace(valid().setCustomEnvelope(Envelope.newBuilder()
                                                .setVcpu(1)
                                                .setRamGb(1)
                                                .setDiskGb(1))
                                        .build())
                                .getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_FIELD_INVALID),
                bad(
                        "template not offered",
                        c -> c.createWorkspace(valid().setTemplate(ProjectTemplate.PROJECT_TEMPLATE_NEXTJS)
                                        .build())
                                .getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_UNKNOWN_TEMPLATE),
                bad(
                        "template 999",
                        c -> c.createWorkspace(valid().setTemplateValue(999).build())
                                .getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_UNKNOWN_TEMPLATE),
                bad(
                        "label key with spaces",
                        c -> c.createWorkspace(valid().putLabels("not ok", "v").build())
                                .getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_FIELD_INVALID),
                bad(
                        "65 labels",
                        c -> {
                            var b = valid();
                            IntStream.range(0, 65).forEach(i -> b.putLabels("k" + i, "v"));
                            c.createWorkspace(b.build()).getOperation();
                        },
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_FIELD_INVALID),
                bad(
                        "NUL in a label value",
                        c -> c.createWorkspace(
                                        valid().putLabels("trial", "\u0000").build())
                                .getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_FIELD_INVALID),
                bad(
                        "no capacity in region (no hosts)",
                        c -> c.createWorkspace(valid().build()).getOperation(),
                        Status.Code.RESOURCE_EXHAUSTED,
                        ErrorReason.ERROR_REASON_NO_CAPACITY),
                bad(
                        "get: empty id",
                        c -> c.getWorkspace(GetWorkspaceRequest.getDefaultInstance())
                                .getWorkspace(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_FIELD_REQUIRED),
                bad(
                        "get: malformed id",
                        c -> c.getWorkspace(GetWorkspaceRequest.newBuilder()
                                        .setWorkspaceId("1 OR 1=1")
                                        .build())
                                .getWorkspace(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_FIELD_INVALID),
                bad(
                        "get: unknown id",
                        c -> c.getWorkspace(GetWorkspaceRequest.newBuilder()
                                        .setWorkspaceId(UNKNOWN_ID)
                                        .build())
                                .getWorkspace(),
                        Status.Code.NOT_FOUND,
                        ErrorReason.ERROR_REASON_WORKSPACE_NOT_FOUND),
                bad(
                        "operation: malformed id",
                        c -> c.getOperation(GetOperationRequest.newBuilder()
                                        .setOperationId("x")
                                        .build())
                                .getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_FIELD_INVALID),
                bad(
                        "operation: unknown id",
                        c -> c.getOperation(GetOperationRequest.newBuilder()
                                        .setOperationId(UNKNOWN_ID)
                                        .build())
                                .getOperation(),
                        Status.Code.NOT_FOUND,
                        ErrorReason.ERROR_REASON_OPERATION_NOT_FOUND),
                bad(
                        "list: negative page size",
                        c -> c.listWorkspaces(ListWorkspacesRequest.newBuilder()
                                .setPageSize(-1)
                                .build()),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_PAGE_SIZE_INVALID),
                bad(
                        "list: garbage page token",
                        c -> c.listWorkspaces(ListWorkspacesRequest.newBuilder()
                                .setPageToken("%%%")
                                .build()),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_PAGE_TOKEN_INVALID),
                bad(
                        "list: well-formed base64, foreign content",
                        c -> c.listWorkspaces(ListWorkspacesRequest.newBuilder()
                                .setPageToken(Base64.getUrlEncoder()
                                        .encodeToString("v1:not-an-id".getBytes(StandardCharsets.UTF_8)))
                                .build()),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_PAGE_TOKEN_INVALID),
                bad(
                        "list: state 999",
                        c -> c.listWorkspaces(ListWorkspacesRequest.newBuilder()
                                .setStateValue(999)
                                .build()),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_FIELD_INVALID),
                bad(
                        "list operations: malformed workspace id",
                        c -> c.listOperations(ListOperationsRequest.newBuilder()
                                .setWorkspaceId("nope")
                                .build()),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_FIELD_INVALID),
                bad(
                        "list operations: status 999",
                        c -> c.listOperations(ListOperationsRequest.newBuilder()
                                .setStatusValue(999)
                                .build()),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_FIELD_INVALID),
                bad(
                        "suspend: unknown workspace",
                        c -> c.suspendWorkspace(SuspendWorkspaceRequest.newBuilder()
                                        .setRequestId("r")
                                        .setWorkspaceId(UNKNOWN_ID)
                                        .build())
                                .getOperation(),
                        Status.Code.NOT_FOUND,
                        ErrorReason.ERROR_REASON_WORKSPACE_NOT_FOUND),
                bad(
                        "suspend: no request_id",
                        c -> c.suspendWorkspace(SuspendWorkspaceRequest.newBuilder()
                                        .setWorkspaceId(UNKNOWN_ID)
                                        .build())
                                .getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_REQUEST_ID_MISSING),
                bad(
                        "suspend: malformed workspace id",
                        c -> c.suspendWorkspace(SuspendWorkspaceRequest.newBuilder()
                                        .setRequestId("r")
                                        .setWorkspaceId("x")
                                        .build())
                                .getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_FIELD_INVALID),
                bad(
                        "resize: flavor unspecified",
                        c -> c.resizeWorkspace(dev.spinup.api.v1.ResizeWorkspaceRequest.newBuilder()
                                        .setRequestId("r")
                                        .setWorkspaceId(UNKNOWN_ID)
                                        .build())
                                .getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_UNKNOWN_FLAVOR),
                bad(
                        "domains of an unknown workspace",
                        c -> c.listDomains(dev.spinup.api.v1.ListDomainsRequest.newBuilder()
                                .setWorkspaceId(UNKNOWN_ID)
                                .build()),
                        Status.Code.NOT_FOUND,
                        ErrorReason.ERROR_REASON_WORKSPACE_NOT_FOUND),
                bad(
                        "add domain: not a DNS name",
                        c -> c.addDomain(addDomain("shop_front.example.com")).getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_DOMAIN_INVALID),
                bad(
                        "add domain: a single label",
                        c -> c.addDomain(addDomain("localhost")).getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_DOMAIN_INVALID),
                bad(
                        "add domain: under the workspace domain",
                        c -> c.addDomain(addDomain("x.workspaces.localhost")).getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_DOMAIN_INVALID),
                bad(
                        "add domain: empty",
                        c -> c.addDomain(addDomain("")).getOperation(),
                        Status.Code.INVALID_ARGUMENT,
                        ErrorReason.ERROR_REASON_FIELD_REQUIRED),
                bad(
                        "add domain: unknown workspace",
                        c -> c.addDomain(addDomain("shop.example.com")).getOperation(),
                        Status.Code.NOT_FOUND,
                        ErrorReason.ERROR_REASON_WORKSPACE_NOT_FOUND),
                bad(
                        "remove domain: unknown workspace",
                        c -> c.removeDomain(dev.spinup.api.v1.RemoveDomainRequest.newBuilder()
                                        .setRequestId("r-rm")
                                        .setWorkspaceId(UNKNOWN_ID)
                                        .setDomain("shop.example.com")
                                        .build())
                                .getOperation(),
                        Status.Code.NOT_FOUND,
                        ErrorReason.ERROR_REASON_WORKSPACE_NOT_FOUND));
    }

    private static dev.spinup.api.v1.AddDomainRequest addDomain(String domain) {
        return dev.spinup.api.v1.AddDomainRequest.newBuilder()
                .setRequestId("r-" + domain)
                .setWorkspaceId(UNKNOWN_ID)
                .setDomain(domain)
                .build();
    }

    private static Arguments bad(
            String name, Consumer<WorkspaceServiceBlockingStub> call, Status.Code code, ErrorReason reason) {
        return arguments(new Case(name, call), code, reason);
    }

    private static CreateWorkspaceRequest.Builder valid() {
        return Workspaces.hobby("valid");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void refusedWithAReason(Case c, Status.Code code, ErrorReason reason) {
        assertError(() -> c.call().accept(cluster.product()), code, reason);
    }

    @ParameterizedTest(name = "page size {0} is accepted (above 500: coerced to 500)")
    @org.junit.jupiter.params.provider.ValueSource(ints = {0, 1, 500, 501, Integer.MAX_VALUE})
    void boundaryPageSizesAreAccepted(int size) {
        cluster.product()
                .listWorkspaces(
                        ListWorkspacesRequest.newBuilder().setPageSize(size).build());
    }

    @org.junit.jupiter.api.Test
    void adminRpcNeedsTheAdminScope() {
        assertError(
                () -> cluster.product().listRegions(ListRegionsRequest.getDefaultInstance()),
                Status.Code.PERMISSION_DENIED,
                ErrorReason.ERROR_REASON_SCOPE_REQUIRED);
        org.assertj.core.api.Assertions.assertThat(cluster.admin()
                        .listRegions(ListRegionsRequest.getDefaultInstance())
                        .getRegionsList())
                .extracting(r -> r.getId())
                .contains(SpinUpCluster.REGION);
    }
}
