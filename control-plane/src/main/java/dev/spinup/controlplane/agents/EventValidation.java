package dev.spinup.controlplane.agents;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import dev.spinup.api.LogText;
import dev.spinup.api.v1.AgentEvent;
import java.util.List;
import java.util.Map;

/**
 * Refuses, before anything is written, the events no replay could ever make acceptable: one of a
 * kind this control plane does not know (what an older control plane sees from a newer agent),
 * text PostgreSQL cannot store (a NUL character) or too long to be sane, and a timestamp outside
 * what a timestamp can hold.
 */
final class EventValidation {
    /** No string an agent sends has a reason to be longer (a command's message, an inventory id). */
    static final int MAX_TEXT = 64 * 1024;
    /** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the range of google.protobuf.Timestamp. */
    private static final long MIN_SECONDS = -62_135_596_800L;

    private static final long MAX_SECONDS = 253_402_300_799L;

    private EventValidation() {}

    static void check(AgentEvent event) {
        if (event.getKindCase() == AgentEvent.KindCase.KIND_NOT_SET) {
            throw new RefusedEventException(
                    "no_kind",
                    "event " + event.getSeq()
                            + " has no kind this control plane knows (an agent newer than the control plane?)");
        }
        check(event, "event");
    }

    private static void check(Message m, String path) {
        if (m instanceof Timestamp t) {
            if (t.getSeconds() < MIN_SECONDS
                    || t.getSeconds() > MAX_SECONDS
                    || t.getNanos() < 0
                    || t.getNanos() > 999_999_999) {
                throw new RefusedEventException(
                        "out_of_range",
                        path + " is not a valid timestamp (seconds " + t.getSeconds() + ", nanos " + t.getNanos()
                                + ")");
            }
            return;
        }
        for (Map.Entry<FieldDescriptor, Object> f : m.getAllFields().entrySet()) {
            String name = path + "." + f.getKey().getName();
            Object value = f.getValue();
            if (value instanceof List<?> list) {
                for (Object item : list) {
                    checkValue(item, name);
                }
            } else {
                checkValue(value, name);
            }
        }
    }

    private static void checkValue(Object value, String name) {
        if (value instanceof String s) {
            if (s.indexOf((char) 0) >= 0) {
                throw new RefusedEventException(
                        "invalid_text", name + " contains a NUL character: \"" + LogText.of(s) + "\"");
            }
            if (s.length() > MAX_TEXT) {
                throw new RefusedEventException(
                        "invalid_text", name + " is " + s.length() + " characters long, over " + MAX_TEXT);
            }
        } else if (value instanceof Message nested) {
            check(nested, name);
        } else if (value instanceof Map.Entry<?, ?> e) {
            checkValue(e.getKey(), name);
            checkValue(e.getValue(), name);
        }
    }
}
