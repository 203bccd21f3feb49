package dev.spinup.controlplane.api;

import dev.spinup.api.v1.AccessGrant;
import dev.spinup.api.v1.AccessTarget;
import dev.spinup.api.v1.CreateAccessGrantRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.SetSharingRequest;
import dev.spinup.controlplane.agents.EdgeRoutes;
import dev.spinup.controlplane.auth.Principal;
import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.Ids;
import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.controlplane.core.Workspace;
import dev.spinup.controlplane.core.WorkspaceState;
import dev.spinup.controlplane.fleet.AccessKeys;
import dev.spinup.controlplane.store.AccessStore;
import dev.spinup.controlplane.store.Transactions;
import dev.spinup.controlplane.store.Tx;
import dev.spinup.edge.GrantToken;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * CreateAccessGrant and SetSharing: who may open a workspace's names at the edge. A grant is a
 * one-time URL to the workspace's own name (app), its IDE's name or one of its preview names
 * ({@code <id>--<port>.<domain>}, for a port it listens on), on the edge of its home host
 * (where DNS points), signed with the current access key. Nothing about it is sent to a host: the
 * host checks the signature with the public key it already has.
 */
final class AccessApi {
    static final Duration DEFAULT_TTL = Duration.ofHours(1);
    static final Duration MIN_TTL = Duration.ofMinutes(1);
    static final Duration MAX_TTL = Duration.ofHours(12);

    /** Verbs in flight during which the workspace is not (or not yet, or no longer) running. */
    private static final Set<OperationVerb> STOPPING = EnumSet.of(
            OperationVerb.CREATE,
            OperationVerb.SUSPEND,
            OperationVerb.ARCHIVE,
            OperationVerb.RESTORE,
            OperationVerb.DELETE,
            OperationVerb.RESIZE,
            OperationVerb.REPAIR);

    /** The prefix of a preview port's target: {@code port:3000}. */
    private static final String PORT = "port:";

    private final Transactions db;
    private final AccessKeys keys;
    private final LifecycleApi lifecycle;
    private final String workspaceDomain;
    private final String edgeScheme;
    private final Clock clock;

    AccessApi(
            Transactions db,
            AccessKeys keys,
            LifecycleApi lifecycle,
            String workspaceDomain,
            String edgeScheme,
            Clock clock) {
        this.db = db;
        this.keys = keys;
        this.lifecycle = lifecycle;
        this.workspaceDomain = workspaceDomain;
        this.edgeScheme = edgeScheme;
        this.clock = clock;
    }

    AccessGrant create(CreateAccessGrantRequest request) {
        String requestId = Requests.requestId(request.getRequestId());
        UUID workspaceId = Requests.id("workspace_id", request.getWorkspaceId());
        String target = target(request.getTarget(), request.getPort());
        Duration ttl = ttl(request);
        String fingerprint =
                Fingerprints.of(request.toBuilder().clearRequestId().build());
        String actor = Principal.current().actor();
        return db.inTransaction(tx -> {
            var earlier = tx.access().grantByRequest(requestId);
            if (earlier.isPresent()) {
                return again(tx, earlier.get(), fingerprint);
            }
            Workspace w =
                    tx.workspaces().find(workspaceId).orElseThrow(() -> SpinUpException.workspaceNotFound(workspaceId));
            requireRunning(tx, w);
            if (target.equals("ide")
                    && (w.ideEndpoint() == null || w.ideEndpoint().isEmpty())) {
                throw SpinUpException.failedPrecondition(
                        ErrorReason.ACCESS_TARGET_INVALID,
                        "workspace " + workspaceId + " has no IDE: its host runs none",
                        Map.of("workspaceId", workspaceId.toString(), "target", "ide"));
            }
            int port = request.getPort();
            if (target.startsWith(PORT) && !w.previewPorts().contains(port)) {
                String listening = String.join(
                        ",", w.previewPorts().stream().map(String::valueOf).toList());
                throw SpinUpException.failedPrecondition(
                        ErrorReason.PORT_NOT_LISTENING,
                        "workspace " + workspaceId + " does not listen on port " + port
                                + (listening.isEmpty()
                                        ? " (nor on any port besides its app's and IDE's)"
                                        : "; it listens on " + listening)
                                + ", as its host last reported",
                        Map.of(
                                "workspaceId", workspaceId.toString(),
                                "port", Integer.toString(port),
                                "previewPorts", listening));
            }
            // Whole seconds, as the grant's token carries them: a retried request returns the same grant.
            Instant exact = clock.instant();
            Instant now = exact.truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
            // the key is chosen at the exact instant: a key made within this second signs already
            AccessKeys.Signing key = keys.signing(tx, exact)
                    .orElseThrow(() -> new SpinUpException(
                            SpinUpException.Kind.UNAVAILABLE,
                            ErrorReason.DEPENDENCY_UNAVAILABLE,
                            "no access key is signing yet; retry in a moment",
                            Map.of()));
            AccessStore.Grant grant = new AccessStore.Grant(
                    Ids.newId(clock),
                    requestId,
                    fingerprint,
                    workspaceId,
                    target,
                    switch (target) {
                        case "ide" -> EdgeRoutes.ideHostname(workspaceId, workspaceDomain);
                        case "app" -> workspaceId + "." + workspaceDomain;
                        default -> EdgeRoutes.previewHostname(workspaceId, port, workspaceDomain);
                    },
                    key.keyId(),
                    now.plus(AccessKeys.URL_LIFETIME),
                    now.plus(ttl),
                    actor,
                    now);
            if (!tx.access().insertGrant(grant)) {
                // The same request, concurrently: its grant is the answer.
                return again(tx, tx.access().grantByRequest(requestId).orElseThrow(), fingerprint);
            }
            tx.audit()
                    .append(
                            workspaceId,
                            null,
                            "access.granted",
                            Map.of(
                                    "grant_id", grant.grantId().toString(),
                                    "target", target,
                                    "ttl_seconds", Long.toString(ttl.toSeconds())),
                            actor,
                            now);
            return toProto(tx, grant, key);
        });
    }

    Operation setSharing(SetSharingRequest request) {
        if (request.getTarget() == AccessTarget.ACCESS_TARGET_IDE) {
            throw SpinUpException.invalidField(
                    ErrorReason.ACCESS_TARGET_INVALID,
                    "target",
                    "the IDE is always private; only the app and preview ports can be shared");
        }
        String target = target(request.getTarget(), request.getPort());
        boolean published = switch (request.getSharing()) {
            case SHARING_PUBLIC -> true;
            case SHARING_PRIVATE -> false;
            case SHARING_UNSPECIFIED, UNRECOGNIZED ->
                throw SpinUpException.invalidField(
                        ErrorReason.FIELD_REQUIRED,
                        "sharing",
                        "sharing is required: SHARING_PUBLIC or SHARING_PRIVATE");
        };
        return lifecycle.transition(
                OperationVerb.SET_SHARING,
                request.getRequestId(),
                request.toBuilder().clearRequestId().build(),
                request.getWorkspaceId(),
                target.startsWith(PORT)
                        ? Map.of("public", Boolean.toString(published), "port", Integer.toString(request.getPort()))
                        : Map.of("public", Boolean.toString(published)));
    }

    /** A workspace a browser can be let into now: active, and not in a transition that stops or moves it. */
    private static void requireRunning(Tx tx, Workspace w) {
        if (w.state() != WorkspaceState.ACTIVE) {
            throw SpinUpException.failedPrecondition(
                    ErrorReason.WORKSPACE_NOT_ACTIVE,
                    "workspace " + w.id() + " is " + w.state().wire() + "; restore it first",
                    Map.of("workspaceId", w.id().toString(), "state", w.state().wire()));
        }
        if (w.currentOperationId() != null) {
            var op = tx.operations().find(w.currentOperationId());
            if (op.isPresent() && STOPPING.contains(op.get().verb())) {
                throw SpinUpException.failedPrecondition(
                        ErrorReason.WORKSPACE_NOT_ACTIVE,
                        "workspace " + w.id() + " is in a " + op.get().verb().wire()
                                + " that stops or moves it; ask again when operation "
                                + op.get().id() + " ends",
                        Map.of(
                                "workspaceId", w.id().toString(),
                                "state", w.state().wire(),
                                "operationId", op.get().id().toString()));
            }
        }
    }

    /** The grant made for this request id before: the same URL again (Ed25519 signs deterministically). */
    private AccessGrant again(Tx tx, AccessStore.Grant grant, String fingerprint) {
        if (!grant.fingerprint().equals(fingerprint)) {
            throw new SpinUpException(
                    SpinUpException.Kind.INVALID_ARGUMENT,
                    ErrorReason.REQUEST_ID_REUSED,
                    "request_id was already used for a different request (grant " + grant.grantId() + ")",
                    Map.of("grantId", grant.grantId().toString()));
        }
        return toProto(tx, grant, keys.key(tx, grant.keyId()));
    }

    private AccessGrant toProto(Tx tx, AccessStore.Grant grant, AccessKeys.Signing key) {
        String token = new GrantToken(
                        key.keyId(),
                        grant.grantId().toString(),
                        grant.workspaceId().toString(),
                        grant.target(),
                        grant.urlExpiresAt(),
                        grant.sessionExpiresAt())
                .sign(key.key());
        return AccessGrant.newBuilder()
                .setGrantId(grant.grantId().toString())
                .setWorkspaceId(grant.workspaceId().toString())
                .setTarget(
                        switch (grant.target()) {
                            case "ide" -> AccessTarget.ACCESS_TARGET_IDE;
                            case "app" -> AccessTarget.ACCESS_TARGET_APP;
                            default -> AccessTarget.ACCESS_TARGET_PORT;
                        })
                .setPort(
                        grant.target().startsWith(PORT)
                                ? Integer.parseInt(grant.target().substring(PORT.length()))
                                : 0)
                .setUrl(origin(tx, grant) + "/?" + GrantToken.QUERY_PARAMETER + "=" + token)
                .setUrlExpireTime(WorkspaceProtoMapper.timestamp(grant.urlExpiresAt()))
                .setSessionExpireTime(WorkspaceProtoMapper.timestamp(grant.sessionExpiresAt()))
                .build();
    }

    /** scheme://name[:port] of the workspace's home host's edge, where DNS sends the browser. */
    private String origin(Tx tx, AccessStore.Grant grant) {
        UUID id = grant.workspaceId();
        UUID home = tx.workspaces()
                .homeHost(id)
                .or(() -> tx.workspaces().find(id).map(Workspace::hostId))
                .orElse(null);
        String edge = home == null ? null : tx.fleet().edgeAddress(home).orElse(null);
        if (edge == null) {
            throw SpinUpException.failedPrecondition(
                    ErrorReason.ACCESS_TARGET_INVALID,
                    "workspace " + id + " is not behind an edge: its home host runs none",
                    Map.of("workspaceId", id.toString()));
        }
        String port = edge.substring(edge.lastIndexOf(':') + 1);
        boolean usual =
                (edgeScheme.equals("http") && port.equals("80")) || (edgeScheme.equals("https") && port.equals("443"));
        return edgeScheme + "://" + grant.hostname() + (usual ? "" : ":" + port);
    }

    /** The target as grants, sessions and the edge name it: ide, app, or port:<n>. */
    private static String target(AccessTarget target, int port) {
        if (target != AccessTarget.ACCESS_TARGET_PORT && port != 0) {
            throw SpinUpException.invalidField(
                    ErrorReason.FIELD_INVALID, "port", "port goes with ACCESS_TARGET_PORT only");
        }
        return switch (target) {
            case ACCESS_TARGET_IDE -> "ide";
            case ACCESS_TARGET_APP -> "app";
            case ACCESS_TARGET_PORT -> {
                if (port < 1 || port > 65535) {
                    throw SpinUpException.invalidField(
                            port == 0 ? ErrorReason.FIELD_REQUIRED : ErrorReason.FIELD_INVALID,
                            "port",
                            "ACCESS_TARGET_PORT needs a port from 1 to 65535");
                }
                yield PORT + port;
            }
            case ACCESS_TARGET_UNSPECIFIED, UNRECOGNIZED ->
                throw SpinUpException.invalidField(
                        ErrorReason.FIELD_REQUIRED,
                        "target",
                        "target is required: ACCESS_TARGET_IDE, ACCESS_TARGET_APP or ACCESS_TARGET_PORT");
        };
    }

    private static Duration ttl(CreateAccessGrantRequest request) {
        if (!request.hasTtl()) {
            return DEFAULT_TTL;
        }
        return Requests.ttl("ttl", request.getTtl(), MIN_TTL, MAX_TTL, "a session");
    }
}
