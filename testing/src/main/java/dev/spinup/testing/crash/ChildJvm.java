package dev.spinup.testing.crash;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Starts a main class of this test classpath as a child JVM, its output going to a log file. */
public final class ChildJvm {
    private ChildJvm() {}

    public static Process start(Class<?> main, Path log, List<String> args) {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED",
                // a child lives seconds: C1 alone and one GC thread start it faster on 2 cores,
                // where C2's compiler threads would compete with the test's own JVM
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-cp",
                System.getProperty("java.class.path"),
                main.getName()));
        command.addAll(args);
        try {
            return new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + main.getSimpleName(), e);
        }
    }

    /** SIGKILL, and wait until the process is gone. */
    public static void kill(Process process) throws InterruptedException {
        process.toHandle().destroyForcibly();
        if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
            throw new IllegalStateException("process " + process.pid() + " survived SIGKILL for 30 s");
        }
    }
}
