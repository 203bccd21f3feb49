package dev.spinup.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.ProtocolMessageEnum;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import dev.spinup.api.ProtoEnums;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a command prints on stdout: the API's answer as proto3 JSON (--json), else a table or
 * "key: value" lines for people. Tables have one header line and whitespace-aligned columns, so
 * {@code awk} and {@code column} can read them; enum values are shown without their prefix, in
 * lower case (OPERATION_STATUS_SUCCEEDED → succeeded).
 */
final class Output {
    private static final JsonFormat.Printer JSON = JsonFormat.printer();
    private final PrintWriter out;
    final boolean json;

    Output(PrintWriter out, boolean json) {
        this.out = out;
        this.json = json;
    }

    void json(MessageOrBuilder message) {
        try {
            out.println(JSON.print(message));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    void line(String text) {
        out.println(text);
    }

    /** "key: value" lines, keys aligned; empty values are left out. */
    void fields(String... keysAndValues) {
        int width = 0;
        for (int i = 0; i < keysAndValues.length; i += 2) {
            width = Math.max(width, keysAndValues[i].length());
        }
        for (int i = 0; i < keysAndValues.length; i += 2) {
            String v = keysAndValues[i + 1];
            if (v != null && !v.isEmpty()) {
                out.println(pad(keysAndValues[i] + ":", width + 1) + " " + v);
            }
        }
    }

    /** A table: the header, then one line per row; an empty cell shows as "-". */
    void table(List<String> header, List<List<String>> rows) {
        List<List<String>> all = new ArrayList<>();
        all.add(header);
        for (List<String> r : rows) {
            all.add(r.stream().map(c -> c == null || c.isEmpty() ? "-" : c).toList());
        }
        int[] width = new int[header.size()];
        for (List<String> r : all) {
            for (int i = 0; i < r.size(); i++) {
                width[i] = Math.max(width[i], r.get(i).length());
            }
        }
        for (List<String> r : all) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < r.size(); i++) {
                b.append(i == r.size() - 1 ? r.get(i) : pad(r.get(i), width[i]) + "  ");
            }
            out.println(b.toString().stripTrailing());
        }
    }

    /** The page token for the next page, if there is one, as the flag that asks for it. */
    void nextPage(String token, PrintWriter err) {
        if (!token.isEmpty()) {
            err.println("more: --page-token " + token);
        }
    }

    static <E extends Enum<E> & ProtocolMessageEnum> String name(E value) {
        return ProtoEnums.bare(value).toLowerCase(Locale.ROOT);
    }

    static String time(Timestamp t) {
        return t.getSeconds() == 0 && t.getNanos() == 0
                ? ""
                : Instant.ofEpochSecond(t.getSeconds()).toString();
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }
}
