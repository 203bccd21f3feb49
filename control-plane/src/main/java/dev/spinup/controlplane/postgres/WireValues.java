package dev.spinup.controlplane.postgres;

import dev.spinup.controlplane.core.WireValue;
import java.lang.reflect.Type;
import java.sql.Types;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jdbi.v3.core.argument.Argument;
import org.jdbi.v3.core.argument.ArgumentFactory;
import org.jdbi.v3.core.argument.NullArgument;
import org.jdbi.v3.core.config.ConfigRegistry;
import org.jdbi.v3.core.generic.GenericTypes;
import org.jdbi.v3.core.mapper.ColumnMapper;
import org.jdbi.v3.core.mapper.ColumnMapperFactory;

/** The model's enums go to and come from the database by their wire names ('active'), never their Java names. */
final class WireValues {
    private WireValues() {}

    static final class Arguments implements ArgumentFactory.Preparable {
        @Override
        public Optional<Function<Object, Argument>> prepare(Type type, ConfigRegistry config) {
            if (!WireValue.class.isAssignableFrom(GenericTypes.getErasedType(type))) {
                return Optional.empty();
            }
            return Optional.of(value -> value == null
                    ? new NullArgument(Types.VARCHAR)
                    : (position, statement, ctx) -> statement.setString(position, ((WireValue) value).wire()));
        }
    }

    /** Each enum's values by wire name, built once per enum (not per statement, as a mapper factory is asked). */
    private static final ClassValue<Map<String, Object>> BY_WIRE = new ClassValue<>() {
        @Override
        protected Map<String, Object> computeValue(Class<?> type) {
            return Arrays.stream(type.getEnumConstants())
                    .collect(Collectors.toMap(v -> ((WireValue) v).wire(), v -> v));
        }
    };

    /** The {@code type} value stored as {@code wire}; null for SQL NULL. */
    static <T> T fromWire(String wire, Class<T> type) {
        if (wire == null) {
            return null;
        }
        Object value = BY_WIRE.get(type).get(wire);
        if (value == null) {
            throw new IllegalStateException("no " + type.getSimpleName() + " is stored as '" + wire + "'");
        }
        return type.cast(value);
    }

    static boolean isWireEnum(Class<?> type) {
        return type.isEnum() && WireValue.class.isAssignableFrom(type);
    }

    static final class Columns implements ColumnMapperFactory {
        @Override
        public Optional<ColumnMapper<?>> build(Type type, ConfigRegistry config) {
            Class<?> raw = GenericTypes.getErasedType(type);
            if (!isWireEnum(raw)) {
                return Optional.empty();
            }
            return Optional.of((rs, column, ctx) -> fromWire(rs.getString(column), raw));
        }
    }
}
