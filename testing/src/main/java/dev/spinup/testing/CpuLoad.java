package dev.spinup.testing;

import dev.spinup.testing.crash.ChildJvm;
import java.nio.file.Path;
import java.util.List;

/**
 * Another process that keeps every core busy, for tests that must hold on a loaded machine: a
 * child JVM with one spinning thread per core. Races that a quiet machine hides show up here.
 */
public final class CpuLoad implements AutoCloseable {
    private final Process process;

    private CpuLoad(Process process) {
        this.process = process;
    }

    /** Starts the load; its output (none, unless it fails) goes to {@code log}. */
    public static CpuLoad start(Path log) {
        return new CpuLoad(ChildJvm.start(
                CpuLoad.class,
                log,
                List.of(Integer.toString(Runtime.getRuntime().availableProcessors()))));
    }

    @Override
    public void close() throws InterruptedException {
        ChildJvm.kill(process);
    }

    public static void main(String[] args) throws InterruptedException {
        int threads = Integer.parseInt(args[0]);
        for (int i = 0; i < threads; i++) {
            Thread.ofPlatform().daemon().start(() -> {
                long x = 1;
                while (!Thread.currentThread().isInterrupted()) {
                    x = x * 6364136223846793005L + 1442695040888963407L;
                    if (x == 42) {
                        System.out.println(x); // never: keeps the loop from being optimised away
                    }
                }
            });
        }
        Thread.currentThread().join();
    }
}
