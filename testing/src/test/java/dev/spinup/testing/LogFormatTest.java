package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.jr.ob.JSON;
import dev.spinup.api.LogEncoder;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The processes' log lines (dev.spinup.api.LogEncoder, as their logback.xml sets it up): one event
 * a line in either format, whatever quotes, backslashes or line breaks a value holds; in JSON the
 * event and every SLF4J key-value pair is a field with its value as it was; a library's own
 * message is written as it is; a long value is cut.
 */
class LogFormatTest {
    private static final String NASTY = "a \"quoted\" word,\na second line\tand a \\ backslash";

    @Test
    void jsonIsOneObjectALineWithEveryKeyAFieldAndValuesAsTheyWere() throws Exception {
        List<String> lines = log("json");
        assertThat(lines).hasSize(4);
        Map<String, Object> first = JSON.std.mapFrom(lines.get(0));
        assertThat(first)
                .containsEntry("level", "INFO")
                .containsEntry("logger", "spinup.test")
                .containsEntry("event", "operation_finished")
                .containsEntry("operation", "op-1")
                .containsEntry("message_text", NASTY)
                .containsKey("time");
        Map<String, Object> second = JSON.std.mapFrom(lines.get(1));
        assertThat(second)
                .containsEntry("event", "kv")
                .containsEntry("host", "h-1")
                .containsEntry("note", NASTY);
        Map<String, Object> third = JSON.std.mapFrom(lines.get(2));
        assertThat(third).containsEntry("level", "ERROR").containsEntry("event", "boom");
        assertThat((String) third.get("error")).isEqualTo("java.lang.IllegalStateException: " + NASTY);
        assertThat((String) third.get("stack")).contains("at dev.spinup.testing.LogFormatTest");
        Map<String, Object> fourth = JSON.std.mapFrom(lines.get(3));
        assertThat(fourth).doesNotContainKey("event").containsEntry("message", "Migrating schema to version 14");
        assertThat((String) fourth.get("long")).startsWith("x".repeat(LogEncoder.MAX_VALUE) + "…(");
    }

    @Test
    void logfmtIsOneLineAnEventWithValuesEscaped() throws Exception {
        List<String> lines = log("logfmt");
        assertThat(lines.get(0))
                .contains("INFO  [")
                .contains("test event=operation_finished operation=op-1 message_text=\""
                        + "a \\\"quoted\\\" word,\\na second line\\tand a \\\\ backslash\"");
        assertThat(lines.get(1)).contains("event=kv host=h-1 note=\"a \\\"quoted\\\"");
        assertThat(lines.get(2)).contains("ERROR").contains("event=boom");
        assertThat(lines.get(3)).startsWith("java.lang.IllegalStateException");
        assertThat(lines.getLast())
                .contains(
                        "LogFormatTest Migrating schema to version 14 long=" + "x".repeat(LogEncoder.MAX_VALUE) + "…(")
                .doesNotContain("event=");
    }

    /** Four events through the encoder: two with SLF4J pairs, an error, a library's message. */
    private static List<String> log(String format) {
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter()); // as logback's own start sets it
        LogEncoder encoder = new LogEncoder();
        encoder.setContext(context);
        encoder.setFormat(format);
        encoder.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        OutputStreamAppender<ch.qos.logback.classic.spi.ILoggingEvent> appender = new OutputStreamAppender<>();
        appender.setContext(context);
        appender.setEncoder(encoder);
        appender.setOutputStream(out);
        appender.start();
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(appender);
        Logger log = context.getLogger("spinup.test");
        log.atInfo()
                .setMessage("operation_finished")
                .addKeyValue("operation", "op-1")
                .addKeyValue("message_text", NASTY)
                .log();
        log.atInfo().addKeyValue("host", "h-1").addKeyValue("note", NASTY).log("kv");
        log.atError()
                .setMessage("boom")
                .setCause(new IllegalStateException(NASTY))
                .log();
        context.getLogger("dev.spinup.testing.LogFormatTest")
                .atInfo()
                .addKeyValue("long", "x".repeat(LogEncoder.MAX_VALUE + 5))
                .log("Migrating schema to version {}", 14);
        appender.stop();
        return out.toString(StandardCharsets.UTF_8).lines().toList();
    }
}
