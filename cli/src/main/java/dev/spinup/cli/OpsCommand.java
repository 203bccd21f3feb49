package dev.spinup.cli;

import dev.spinup.api.v1.GetOperationRequest;
import dev.spinup.api.v1.ListOperationsRequest;
import dev.spinup.api.v1.ListOperationsResponse;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.OperationStatus;
import dev.spinup.api.v1.OperationStep;
import dev.spinup.api.v1.OperationVerb;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "ops", description = "Operations: the long-running transitions every mutating call returns.")
final class OpsCommand {
    @Spec
    CommandSpec spec;

    @Command(name = "get", description = "Show an operation and its step timeline.")
    int get(@Parameters(paramLabel = "OPERATION_ID") String id) {
        try (Session s = Session.of(spec)) {
            print(
                    s,
                    s.api()
                            .getOperation(GetOperationRequest.newBuilder()
                                    .setOperationId(id)
                                    .build())
                            .getOperation());
            return 0;
        }
    }

    @Command(name = "list", description = "List operations, newest first.")
    int list(
            @Option(names = "--workspace", paramLabel = "WORKSPACE_ID") String workspace,
            @Option(names = "--status", description = "pending, running, succeeded, failed or rolled_back.")
                    String status,
            @Option(names = "--verb", description = "create, suspend, archive, restore, delete, resize, …") String verb,
            @Mixin Pages pages) {
        try (Session s = Session.of(spec)) {
            ListOperationsRequest.Builder r = ListOperationsRequest.newBuilder();
            if (workspace != null) {
                r.setWorkspaceId(workspace);
            }
            if (status != null) {
                r.setStatus(WorkspacesCommand.value(OperationStatus.class, status, "--status"));
            }
            if (verb != null) {
                r.setVerb(WorkspacesCommand.value(OperationVerb.class, verb, "--verb"));
            }
            List<ListOperationsResponse> answers = pages.fetch(
                    s,
                    token -> s.api()
                            .listOperations(r.setPageSize(pages.size)
                                    .setPageToken(token)
                                    .build()),
                    ListOperationsResponse::getNextPageToken);
            if (pages.printJson(s, answers)) {
                return 0;
            }
            s.out.table(
                    List.of("ID", "WORKSPACE", "VERB", "STATUS", "REQUESTED", "ACTOR", "ERROR"),
                    answers.stream()
                            .flatMap(a -> a.getOperationsList().stream())
                            .map(o -> List.of(
                                    o.getId(),
                                    o.getWorkspaceId(),
                                    Output.name(o.getVerb()),
                                    Output.name(o.getStatus()),
                                    Output.time(o.getRequestedAt()),
                                    o.getActor(),
                                    error(o)))
                            .toList());
            return 0;
        }
    }

    @Command(
            name = "wait",
            description = "Follow an operation to its end: a line per step change on stderr, the outcome on stdout."
                    + " Exits 0 when it succeeded, 9 when it failed or rolled back.")
    int await(
            @Parameters(paramLabel = "OPERATION_ID") String id,
            @Option(
                            names = "--wait-timeout",
                            paramLabel = "DURATION",
                            converter = Main.Durations.class,
                            description = "Give up after this long (default 30m); the operation goes on.")
                    Duration limit) {
        try (Session s = Session.of(spec)) {
            print(s, new Waiter(s, limit == null ? Waiter.DEFAULT_LIMIT : limit).await(id));
            return 0;
        }
    }

    static void print(Session s, Operation op) {
        if (s.out.json) {
            s.out.json(op);
            return;
        }
        s.out.fields(
                "id", op.getId(),
                "workspace", op.getWorkspaceId(),
                "verb", Output.name(op.getVerb()),
                "status", Output.name(op.getStatus()),
                "error", error(op),
                "request id", op.getRequestId(),
                "actor", op.getActor(),
                "requested", Output.time(op.getRequestedAt()),
                "completed", Output.time(op.getCompletedAt()),
                "eta", Waiter.ended(op.getStatus()) ? "" : Output.time(op.getEstimatedCompletionAt()));
        if (op.getStepsCount() > 0) {
            s.out.line("");
            s.out.table(
                    List.of("STEP", "STATUS", "ATTEMPTS", "TOOK", "WAITING ON / ERROR"),
                    op.getStepsList().stream()
                            .map((OperationStep st) -> List.of(
                                    st.getName(),
                                    Output.name(st.getStatus()),
                                    Integer.toString(st.getAttempts()),
                                    took(st),
                                    st.getError().isEmpty() ? st.getWaitingOn() : st.getError()))
                            .toList());
        }
    }

    private static String error(Operation op) {
        return op.hasError()
                ? dev.spinup.api.ProtoEnums.bare(op.getError().getReason()) + ": "
                        + op.getError().getMessage()
                : "";
    }

    private static String took(OperationStep st) {
        if (!st.hasStartedAt() || !st.hasCompletedAt()) {
            return "";
        }
        long ms = (st.getCompletedAt().getSeconds() - st.getStartedAt().getSeconds()) * 1000
                + (st.getCompletedAt().getNanos() - st.getStartedAt().getNanos()) / 1_000_000;
        return Waiter.seconds(Duration.ofMillis(ms));
    }
}
