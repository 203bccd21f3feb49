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

    /**
     * Runs {@code work} with {@code span} current (and its trace id in the log MDC), marks the span
     * failed if the work throws, and ends it.
     */
    public static <T> T inSpan(Span span, java.util.function.Supplier<T> work) {
        try (var scope = span.makeCurrent();
                var logged = logged(span)) {
            return work.get();
        } catch (RuntimeException e) {
            span.setStatus(io.opentelemetry.api.trace.StatusCode.ERROR, String.valueOf(e.getMessage()));
            throw e;
        } finally {
            span.end();
        }
    }

    /** {@link #inSpan(Span, java.util.function.Supplier)} for work without a result. */
    public static void inSpan(Span span, Runnable work) {
        inSpan(span, () -> {
            work.run();
            return null;
        });
    }

    /** Undoes {@link #logged}. */
    public interface LoggedTrace extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Puts the span's trace id into the logging MDC (key {@code trace_id}) until the result is
     * closed, which restores what was there (spans nest).
     */
    public static LoggedTrace logged(Span span) {
        String previous = MDC.get("trace_id");
        MDC.put(
                "trace_id",
                span.getSpanContext().isValid() ? span.getSpanContext().getTraceId() : "");
        return () -> {
            if (previous == null) {
                MDC.remove("trace_id");
            } else {
                MDC.put("trace_id", previous);
            }
        };
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
