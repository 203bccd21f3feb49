package dev.spinup.testing;

import dev.spinup.controlplane.core.Operation;
import dev.spinup.controlplane.engine.StepHooks;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A step hook that holds the first operation reaching {@code step} until the test releases it, so
 * a test can act at an exact point of an operation (e.g. between upload and verification).
 */
public final class PauseAt implements StepHooks {
    private final String step;
    private final CompletableFuture<Operation> reached = new CompletableFuture<>();
    private final CountDownLatch released = new CountDownLatch(1);

    public PauseAt(String step) {
        this.step = step;
    }

    @Override
    public void beforeStep(Operation operation, String current) {
        if (current.equals(step) && reached.complete(operation)) {
            try {
                if (!released.await(2, TimeUnit.MINUTES)) {
                    throw new IllegalStateException("the test never released step " + step);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Waits until an operation is held at the step and returns it. */
    public Operation awaitReached(Duration timeout) throws Exception {
        return reached.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public void release() {
        released.countDown();
    }
}
