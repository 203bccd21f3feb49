package dev.spinup.controlplane.api;

import dev.spinup.api.ProtoEnums;
import dev.spinup.api.v1.GetOperationDurationsResponse;
import dev.spinup.api.v1.GetOperationRequest;
import dev.spinup.api.v1.ListOperationsRequest;
import dev.spinup.api.v1.ListOperationsResponse;
import dev.spinup.api.v1.Operation;
import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.OperationStatus;
import dev.spinup.controlplane.core.OperationVerb;
import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.controlplane.engine.OperationDurations;
import dev.spinup.controlplane.store.OperationStore;
import dev.spinup.controlplane.store.Transactions;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** Operations: each one's timeline, with an estimated completion while it runs, and the observed durations. */
final class OperationApi {
    private final Transactions db;
    private final OperationDurations durations;
    private final Clock clock;

    OperationApi(Transactions db, OperationDurations durations, Clock clock) {
        this.db = db;
        this.durations = durations;
        this.clock = clock;
    }

    Operation get(GetOperationRequest request) {
        UUID id = Requests.id("operation_id", request.getOperationId());
        var op = db.read(tx -> tx.operations().find(id))
                .orElseThrow(() -> SpinUpException.notFound(
                        ErrorReason.OPERATION_NOT_FOUND, "operationId", id, "no operation " + id));
        return withEstimates(List.of(op)).getFirst();
    }

    ListOperationsResponse list(ListOperationsRequest request) {
        int size = Requests.pageSize(request.getPageSize());
        UUID after = Requests.afterId(request);
        var filter = new OperationStore.OperationFilter(
                request.getWorkspaceId().isEmpty() ? null : Requests.id("workspace_id", request.getWorkspaceId()),
                switch (request.getStatus()) {
                    case OPERATION_STATUS_UNSPECIFIED -> null;
                    case UNRECOGNIZED ->
                        throw SpinUpException.invalidField(
                                ErrorReason.FIELD_INVALID, "status", "status is not a known OperationStatus");
                    default -> OperationStatus.valueOf(ProtoEnums.bare(request.getStatus()));
                },
                switch (request.getVerb()) {
                    case OPERATION_VERB_UNSPECIFIED -> null;
                    case UNRECOGNIZED ->
                        throw SpinUpException.invalidField(
                                ErrorReason.FIELD_INVALID, "verb", "verb is not a known OperationVerb");
                    default -> OperationVerb.valueOf(ProtoEnums.bare(request.getVerb()));
                });
        var page = Requests.page(
                db.read(tx -> tx.operations().list(filter, after, size + 1)),
                size,
                dev.spinup.controlplane.core.Operation::id,
                request);
        return ListOperationsResponse.newBuilder()
                .addAllOperations(withEstimates(page.items()))
                .setNextPageToken(page.nextPageToken())
                .build();
    }

    GetOperationDurationsResponse durations() {
        var response = GetOperationDurationsResponse.newBuilder();
        for (OperationStore.DurationStat s : durations.recent()) {
            response.addDurations(dev.spinup.api.v1.OperationDuration.newBuilder()
                    .setVerb(ProtoEnums.of(dev.spinup.api.v1.OperationVerb.class, s.verb()))
                    .setFlavor(WorkspaceProtoMapper.toProto(s.flavor()))
                    .setP50(duration(s.p50()))
                    .setP95(duration(s.p95()))
                    .setSampleCount(s.samples()));
        }
        return response.build();
    }

    private List<Operation> withEstimates(List<dev.spinup.controlplane.core.Operation> ops) {
        Instant now = clock.instant();
        Map<UUID, Instant> estimates = durations.estimates(ops);
        return ops.stream()
                .map(op -> WorkspaceProtoMapper.toProto(op, now, Optional.ofNullable(estimates.get(op.id()))))
                .toList();
    }

    private static com.google.protobuf.Duration duration(java.time.Duration d) {
        return com.google.protobuf.Duration.newBuilder()
                .setSeconds(d.getSeconds())
                .setNanos(d.getNano())
                .build();
    }
}
