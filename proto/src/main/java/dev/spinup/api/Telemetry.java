package dev.spinup.api;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.util.Map;

/**
 * OpenTelemetry for SpinUp's processes, configured by the standard {@code OTEL_*} environment
 * variables (e.g. {@code OTEL_TRACES_EXPORTER=otlp OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318}).
 * Off by default: without them nothing is exported. Never installed as the global instance; it
 * is passed to what traces.
 */
public final class Telemetry {
    private Telemetry() {}

    public static OpenTelemetry fromEnvironment(String serviceName) {
        return AutoConfiguredOpenTelemetrySdk.builder()
                .addPropertiesSupplier(() -> Map.of(
                        "otel.service.name", serviceName,
                        "otel.traces.exporter", "none",
                        "otel.metrics.exporter", "none",
                        "otel.logs.exporter", "none"))
                .build()
                .getOpenTelemetrySdk();
    }
}
