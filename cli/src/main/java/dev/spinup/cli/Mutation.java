package dev.spinup.cli;

import dev.spinup.api.v1.Operation;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The options of a command that starts an operation, and what it prints. */
final class Mutation {
    @Option(
            names = "--request-id",
            paramLabel = "ID",
            description = "Idempotency key: the same id with the same request returns the same operation"
                    + " (default: a new one, printed on stderr).")
    String requestId;

    @Option(names = "--wait", description = "Follow the operation to its end (as `spinup ops wait`).")
    boolean await;

    @Option(
            names = "--wait-timeout",
            paramLabel = "DURATION",
            converter = Main.Durations.class,
            description = "How long --wait waits (default 30m).")
    Duration waitTimeout = Waiter.DEFAULT_LIMIT;

    /** Prints the operation the call returned, or waits for it and prints how it ended. */
    int print(Session s, Operation op) {
        if (await) {
            s.err.println("operation " + op.getId() + " " + Output.name(op.getVerb()) + " on workspace "
                    + op.getWorkspaceId());
            op = new Waiter(s, waitTimeout).await(op.getId());
        }
        OpsCommand.print(s, op);
        return 0;
    }
}
