package dev.spinup.testing;

import java.time.Duration;
import java.time.Instant;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Polls with a deadline instead of sleeping: tests wait for a condition, never for a time. */
public final class Eventually {
    private Eventually() {}

    /** Returns the first value of {@code probe} that satisfies {@code done}; fails after {@code timeout}. */
    public static <T> T await(Duration timeout, String what, Supplier<T> probe, Predicate<T> done) {
        Instant deadline = Instant.now().plus(timeout);
        T last = null;
        long pause = 5;
        while (Instant.now().isBefore(deadline)) {
            last = probe.get();
            if (done.test(last)) {
                return last;
            }
            try {
                Thread.sleep(pause); // poll interval, bounded by the deadline above
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + what);
            }
            pause = Math.min(pause * 2, 100);
        }
        throw new AssertionError("timed out after " + timeout + " waiting for " + what + "; last value: " + last);
    }

    public static void await(Duration timeout, String what, Supplier<Boolean> condition) {
        await(timeout, what, condition, Boolean::booleanValue);
    }
}
