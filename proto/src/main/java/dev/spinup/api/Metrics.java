package dev.spinup.api;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Executors;

/**
 * What the control plane and the host agent both publish on /metrics: every {@code spinup_*}
 * timer as a Prometheus histogram, the JVM's and the process's own meters, and
 * {@code spinup_build_info{version,commit}}; and the endpoint itself.
 */
public final class Metrics {
    private Metrics() {}

    /** The version and commit this build was made from (META-INF/spinup-build.properties). */
    public record Build(String version, String commit) {
        public static Build current() {
            Properties p = new Properties();
            try (InputStream in = Metrics.class.getResourceAsStream("/META-INF/spinup-build.properties")) {
                if (in != null) {
                    p.load(in);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read META-INF/spinup-build.properties", e);
            }
            return new Build(known(p.getProperty("version")), known(p.getProperty("commit")));
        }

        /** A value Maven left unfiltered (a build outside a git checkout, say) is "unknown". */
        private static String known(String value) {
            return value == null || value.isBlank() || value.startsWith("${") ? "unknown" : value;
        }
    }

    /**
     * Label values in one casing: an enumeration's value (UPPER_SNAKE, as enum and oneof names
     * are: PROVISION_VM, NO_CAPACITY, CRASHED) is written in lower case (provision_vm, no_capacity,
     * crashed), like the verbs, statuses and outcomes already are. Names of things (an RPC method
     * such as GetWorkspace, a version) are left as they are.
     */
    static final MeterFilter LOWER_CASE_VALUES = new MeterFilter() {
        @Override
        public Meter.Id map(Meter.Id id) {
            if (!id.getName().startsWith("spinup_")
                    || id.getTags().stream()
                            .noneMatch(t -> ENUM_VALUE.matcher(t.getValue()).matches())) {
                return id;
            }
            return id.replaceTags(id.getTags().stream()
                    .map(t -> ENUM_VALUE.matcher(t.getValue()).matches()
                            ? io.micrometer.core.instrument.Tag.of(
                                    t.getKey(), t.getValue().toLowerCase(java.util.Locale.ROOT))
                            : t)
                    .toList());
        }
    };

    private static final java.util.regex.Pattern ENUM_VALUE = java.util.regex.Pattern.compile("[A-Z][A-Z0-9_]*");

    /**
     * Binds the common meters to {@code meters}. Call once per registry, before any timer is made;
     * close what it returns when the process part that owns the registry stops (the GC meters
     * listen to the JVM, and would keep the registry and all it refers to alive).
     */
    public static Binding standard(PrometheusMeterRegistry meters) {
        meters.config().meterFilter(LOWER_CASE_VALUES);
        meters.config().meterFilter(new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                if (id.getType() != Meter.Type.TIMER || !id.getName().startsWith("spinup_")) {
                    return config;
                }
                return DistributionStatisticConfig.builder()
                        .percentilesHistogram(true)
                        .minimumExpectedValue((double) Duration.ofMillis(1).toNanos())
                        .maximumExpectedValue((double) Duration.ofHours(1).toNanos())
                        .build()
                        .merge(config);
            }
        });
        new JvmMemoryMetrics().bindTo(meters);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(meters);
        new JvmThreadMetrics().bindTo(meters);
        new ClassLoaderMetrics().bindTo(meters);
        new ProcessorMetrics().bindTo(meters);
        new UptimeMetrics().bindTo(meters);
        new FileDescriptorMetrics().bindTo(meters);
        Build build = Build.current();
        // an info metric (Prometheus keeps the _info name for those): spinup_build_info{…} 1
        io.prometheus.metrics.core.metrics.Info.builder()
                .name("spinup_build_info")
                .help("the version and commit this process was built from")
                .labelNames("version", "commit")
                .register(meters.getPrometheusRegistry())
                .setLabelValues(build.version(), build.commit());
        return gc::close;
    }

    /** What {@link #standard} bound, to release. */
    public interface Binding extends AutoCloseable {
        @Override
        void close();
    }

    /** Serves the Prometheus text format of {@code registry} on GET /metrics. */
    public static final class Endpoint implements AutoCloseable {
        private final HttpServer server;

        public Endpoint(String bindAddress, int port, PrometheusMeterRegistry registry) {
            this(bindAddress, port, registry, () -> {});
        }

        /** As above; {@code beforeScrape} runs before each scrape (gauges read fresh). */
        public Endpoint(String bindAddress, int port, PrometheusMeterRegistry registry, Runnable beforeScrape) {
            try {
                server = HttpServer.create(new InetSocketAddress(bindAddress, port), 0);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot listen for metrics on " + bindAddress + ":" + port, e);
            }
            server.createContext("/metrics", exchange -> {
                beforeScrape.run();
                byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.start();
        }

        public int port() {
            return server.getAddress().getPort();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
