package dev.spinup.agent.drivers;

/** A driver could not do what it was asked; {@code code} is short and machine-readable. */
public final class DriverException extends Exception {
    private final String code;

    public DriverException(String code, String message) {
        super(message);
        this.code = code;
    }

    public DriverException(String code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public String code() {
        return code;
    }

    /** What went wrong, for a message: never "null" (many I/O exceptions carry no message of their own). */
    public static String reason(Throwable e) {
        String message = e.getMessage();
        return message == null || message.isBlank()
                ? e.getClass().getSimpleName()
                : e instanceof java.io.IOException ? e.getClass().getSimpleName() + ": " + message : message;
    }
}
