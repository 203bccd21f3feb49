package dev.spinup.api;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.MDC;

/**
 * Carries a trace across what is not a call: the agent stream's messages (their
 * {@code trace_context} maps) and an operation's persisted parameters (so every job run, on
 * any replica and after any restart, continues the trace of the call that started it). W3C
 * trace context ({@code traceparent}).
 */
public final class TraceContext {
    public static final String TRACEPARENT = "traceparent";

    private TraceContext() {}

    /** The current span's context as a map (empty when nothing is traced). */
    public static Map<String, String> current() {
        Map<String, String> carrier = new HashMap<>();
        W3CTraceContextPropagator.getInstance().inject(Context.current(), carrier, Map::put);
        return carrier;
    }

    /** The context a map carries, as a parent for new spans (the root context when it carries none). */
    public static Context from(Map<String, String> carrier) {
        return W3CTraceContextPropagator.getInstance().extract(Context.root(), carrier, GETTER);
    }

    /** Puts the span's trace id into the logging MDC (key {@code trace_id}); returns what to close. */
    public static MDC.MDCCloseable logged(Span span) {
        return MDC.putCloseable("trace_id", span.getSpanContext().isValid() ? span.getSpanContext().getTraceId() : "");
    }

    private static final TextMapGetter<Map<String, String>> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };
}
