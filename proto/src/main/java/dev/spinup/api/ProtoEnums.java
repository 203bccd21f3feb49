package dev.spinup.api;

import com.google.protobuf.ProtocolMessageEnum;
import java.util.Locale;

/**
 * Proto enum values carry their type's prefix (buf lint's ENUM_VALUE_PREFIX: {@code
 * OPERATION_VERB_CREATE}); our domain enums and the ErrorInfo reason string do not ({@code CREATE},
 * {@code NO_CAPACITY}). This is the one place that adds and strips that prefix.
 */
public final class ProtoEnums {
    private ProtoEnums() {}

    /** The proto value of {@code type} named {@code bare} after its prefix: (OperationVerb, "CREATE"). */
    public static <E extends Enum<E> & ProtocolMessageEnum> E of(Class<E> type, String bare) {
        return Enum.valueOf(type, prefix(type) + bare);
    }

    /** The proto value with the same bare name as a domain enum's value. */
    public static <E extends Enum<E> & ProtocolMessageEnum> E of(Class<E> type, Enum<?> domain) {
        return of(type, domain.name());
    }

    /** The value's name without its type's prefix: OPERATION_VERB_CREATE → CREATE. */
    public static <E extends Enum<E> & ProtocolMessageEnum> String bare(E value) {
        String prefix = prefix(value.getDeclaringClass());
        String name = value.name();
        if (name.equals("UNRECOGNIZED")) {
            return name; // a number this build does not know (a newer peer's value)
        }
        if (!name.startsWith(prefix)) {
            throw new IllegalArgumentException(name + " does not carry its prefix " + prefix);
        }
        return name.substring(prefix.length());
    }

    /** OperationVerb → "OPERATION_VERB_". */
    public static String prefix(Class<?> type) {
        return type.getSimpleName().replaceAll("(?<!^)(?=[A-Z])", "_").toUpperCase(Locale.ROOT) + "_";
    }
}
