package dev.spinup.testing.crash;

import dev.spinup.agent.HostAgent;
import dev.spinup.agent.HostAgentConfig;
import dev.spinup.agent.commands.CommandHooks;
import dev.spinup.api.v1.Command;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * A host agent run as a child JVM by the agent crash test. Every command it begins is appended to
 * the executions log (so the test can count executions across agent processes). At the point named
 * in the spec file ("<step> <point>": the command id's step, point one of accepted, effect,
 * recorded) it writes the marker file and stops there; the test then kills it with SIGKILL.
 *
 * <p>Arguments: control-plane-address host-data-dir ca-cert spec-file marker-file executions-log
 */
public final class CrashableHostAgent {
    private CrashableHostAgent() {}

    public static void main(String[] args) throws Exception {
        Path hostDir = Path.of(args[1]);
        KillPoint hooks = new KillPoint(Path.of(args[3]), Path.of(args[4]), Path.of(args[5]));
        HostAgent.start(
                new HostAgentConfig(
                        List.of(args[0]),
                        hostDir.resolve("host.crt"),
                        hostDir.resolve("host.key"),
                        Path.of(args[2]),
                        hostDir,
                        null,
                        "127.0.0.1",
                        26000,
                        26999,
                        200,
                        400,
                        5000,
                        Duration.ofSeconds(2),
                        Duration.ofSeconds(30)),
                Clock.systemUTC(),
                hooks);
        System.out.println("READY");
        System.out.flush();
        new CountDownLatch(1).await();
    }

    private record KillPoint(Path spec, Path marker, Path executions) implements CommandHooks {
        @Override
        public void beforeExecute(Command command) {
            append(executions, command.getCommandId() + "\n");
            maybeStop(command, "accepted");
        }

        @Override
        public void afterEffect(Command command) {
            maybeStop(command, "effect");
        }

        @Override
        public void afterRecorded(Command command) {
            maybeStop(command, "recorded");
        }

        private void maybeStop(Command command, String point) {
            try {
                if (!Files.exists(spec) || Files.exists(marker)) {
                    return;
                }
                String[] wanted = Files.readString(spec).trim().split(" ");
                String id = command.getCommandId();
                if (id.substring(id.lastIndexOf('/') + 1).equals(wanted[0]) && point.equals(wanted[1])) {
                    // Atomically: the test reads the marker as soon as it exists.
                    Path tmp = marker.resolveSibling(marker.getFileName() + ".tmp");
                    Files.writeString(tmp, id + " " + point);
                    Files.move(tmp, marker, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                    new CountDownLatch(1).await(); // the test kills this process here
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private static void append(Path file, String line) {
            try {
                Files.writeString(file, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
