package dev.spinup.api;

/**
 * Text from outside (an agent's message, a caller's input) made safe for a key=value log line:
 * control characters (newlines above all: a forged log line) and quotes escaped, long text cut to a
 * prefix. Also what an error message may echo of an input.
 */
public final class LogText {
    /** How much of an outside value a log line or an error message repeats. */
    public static final int MAX = 200;

    private LogText() {}

    public static String of(String s) {
        return of(s, MAX);
    }

    public static String of(String s, int max) {
        if (s == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(Math.min(s.length(), max) + 8);
        int n = 0;
        for (int i = 0; i < s.length(); ) {
            if (n >= max) {
                out.append("…(").append(s.codePointCount(i, s.length())).append(" more)");
                break;
            }
            int c = s.codePointAt(i);
            i += Character.charCount(c);
            n++;
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (Character.isISOControl(c) || c == 0x2028 || c == 0x2029) {
                        out.append(String.format("\\u%04x", c));
                    } else {
                        out.appendCodePoint(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
