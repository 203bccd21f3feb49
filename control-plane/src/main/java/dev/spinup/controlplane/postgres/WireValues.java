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

    static final class Columns implements ColumnMapperFactory {
        @Override
        public Optional<ColumnMapper<?>> build(Type type, ConfigRegistry config) {
            Class<?> raw = GenericTypes.getErasedType(type);
            if (!raw.isEnum() || !WireValue.class.isAssignableFrom(raw)) {
                return Optional.empty();
            }
            Map<String, Object> byWire = Arrays.stream(raw.getEnumConstants())
                    .collect(Collectors.toMap(v -> ((WireValue) v).wire(), v -> v));
            return Optional.of((rs, column, ctx) -> {
                String wire = rs.getString(column);
                if (wire == null) {
                    return null;
                }
                Object value = byWire.get(wire);
                if (value == null) {
                    throw new IllegalStateException("no " + raw.getSimpleName() + " is stored as '" + wire + "'");
                }
                return value;
            });
        }
    }
}
