package dev.spinup.api;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.slf4j.event.KeyValuePair;

/**
 * SpinUp's log lines, one event a line, as {@code logfmt} (the default: {@code time LEVEL
 * [thread] Logger event=… key=value …}) or {@code json} (one object a line: time, level, thread,
 * logger, the event, every SLF4J key-value pair as a field of its own, the message and the error
 * with its stack). The processes choose with {@code --log-format} / {@code SPINUP_LOG_FORMAT}
 * ({@link Settings#configureLogFormat}).
 *
 * <p>SpinUp's own code logs through SLF4J's key-value API: the message is the event's name (one
 * lower_snake word), the rest are pairs: {@code log.atInfo().setMessage("step_done")
 * .addKeyValue("operation", id).log()}. A library's message is written as it is.
 *
 * <p>Values are escaped for their format and cut to {@link #MAX_VALUE} characters: a quote, a
 * backslash or a line break in a value (an agent's message, a caller's input) never splits,
 * forges or breaks a line.
 */
public final class LogEncoder extends EncoderBase<ILoggingEvent> {
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneId.systemDefault());
    /** How much of one value a line repeats. */
    public static final int MAX_VALUE = 1000;

    private static final java.util.regex.Pattern EVENT = java.util.regex.Pattern.compile("[a-z][a-z0-9_]*");
    private String format = "logfmt";

    /** "logfmt" or "json" (logback sets it from the configuration). */
    public void setFormat(String format) {
        this.format = format == null ? "logfmt" : format.strip().toLowerCase(Locale.ROOT);
    }

    @Override
    public byte[] headerBytes() {
        return null;
    }

    @Override
    public byte[] footerBytes() {
        return null;
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        String line = format.equals("json") ? json(event) : logfmt(event);
        return (line + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static String logfmt(ILoggingEvent e) {
        StringBuilder b = new StringBuilder(160)
                .append(TIME.format(Instant.ofEpochMilli(e.getTimeStamp())))
                .append(' ')
                .append(String.format(Locale.ROOT, "%-5s", e.getLevel()))
                .append(" [")
                .append(e.getThreadName())
                .append("] ")
                .append(shortName(e.getLoggerName()))
                .append(' ');
        String message = e.getFormattedMessage();
        b.append(isEvent(message) ? "event=" + message : message);
        if (e.getKeyValuePairs() != null) {
            for (KeyValuePair kv : e.getKeyValuePairs()) {
                b.append(' ').append(kv.key).append('=').append(logfmtValue(String.valueOf(kv.value)));
            }
        }
        String trace = e.getMDCPropertyMap().get("trace_id");
        if (trace != null && !trace.isEmpty()) {
            b.append(" trace_id=").append(trace);
        }
        IThrowableProxy error = e.getThrowableProxy();
        if (error != null) {
            b.append('\n').append(ThrowableProxyUtil.asString(error).stripTrailing());
        }
        return b.toString();
    }

    private static String json(ILoggingEvent e) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("time", Instant.ofEpochMilli(e.getTimeStamp()).toString());
        fields.put("level", e.getLevel().toString());
        fields.put("thread", e.getThreadName());
        fields.put("logger", e.getLoggerName());
        String message = e.getFormattedMessage();
        if (isEvent(message)) {
            fields.put("event", message);
        }
        if (e.getKeyValuePairs() != null) {
            for (KeyValuePair kv : e.getKeyValuePairs()) {
                fields.putIfAbsent(kv.key, cut(String.valueOf(kv.value)));
            }
        }
        e.getMDCPropertyMap().forEach(fields::putIfAbsent);
        fields.put("message", message);
        IThrowableProxy error = e.getThrowableProxy();
        if (error != null) {
            fields.put("error", error.getClassName() + ": " + error.getMessage());
            fields.put("stack", ThrowableProxyUtil.asString(error).stripTrailing());
        }
        StringBuilder b = new StringBuilder(256).append('{');
        fields.forEach((k, v) -> {
            if (b.length() > 1) {
                b.append(',');
            }
            jsonString(b, k).append(':');
            jsonString(b, v);
        });
        return b.append('}').toString();
    }

    /** A message that is one lower_snake word names the event (SpinUp's own lines). */
    private static boolean isEvent(String message) {
        return message != null && EVENT.matcher(message).matches();
    }

    private static String cut(String v) {
        return v.length() <= MAX_VALUE ? v : v.substring(0, MAX_VALUE) + "…(" + (v.length() - MAX_VALUE) + " more)";
    }

    private static String logfmtValue(String v) {
        return v.isEmpty() || v.chars().anyMatch(c -> c == ' ' || c == '"' || c == '=' || c < 0x20)
                ? '"' + LogText.of(v, MAX_VALUE) + '"'
                : cut(v);
    }

    private static StringBuilder jsonString(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"');
    }

    private static String shortName(String logger) {
        int dot = logger.lastIndexOf('.');
        return dot < 0 ? logger : logger.substring(dot + 1);
    }
}
