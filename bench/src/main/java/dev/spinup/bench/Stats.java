package dev.spinup.bench;

import java.util.List;

/** Percentiles of a sample of durations, in milliseconds. */
record Stats(int n, double p50, double p90, double p99, double max) {
    static Stats ofNanos(List<Long> nanos) {
        long[] sorted = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
        return new Stats(
                sorted.length,
                millis(percentile(sorted, 0.50)),
                millis(percentile(sorted, 0.90)),
                millis(percentile(sorted, 0.99)),
                millis(sorted[sorted.length - 1]));
    }

    private static long percentile(long[] sorted, double q) {
        int index = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    private static double millis(long nanos) {
        return nanos / 1_000_000.0;
    }

    String json() {
        return String.format(
                java.util.Locale.ROOT,
                "{\"n\": %d, \"p50_ms\": %.3f, \"p90_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f}",
                n,
                p50,
                p90,
                p99,
                max);
    }

    static String machine() {
        return String.format(
                java.util.Locale.ROOT,
                "%d cores, %s %s, Java %s",
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name"),
                System.getProperty("os.arch"),
                System.getProperty("java.version"));
    }
}
