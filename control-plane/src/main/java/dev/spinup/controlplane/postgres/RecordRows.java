package dev.spinup.controlplane.postgres;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.config.ConfigRegistry;
import org.jdbi.v3.core.generic.GenericTypes;
import org.jdbi.v3.core.mapper.ColumnMapper;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.mapper.RowMapperFactory;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * Maps a row to any of the stores' records by their canonical constructor, a column per component
 * (snake_case column, camelCase component, as Jdbi's ConstructorMapper matches them). Registered
 * once on the Jdbi, it replaces a ConstructorMapper per store: that one looked up a column mapper
 * per column for every statement (qualifiers, generic types, a cache per configuration copy), 2–3%
 * of the JVM's CPU in the engine benchmark (JFR). Here the columns are matched once per
 * result set, strings, UUIDs, timestamps, numbers, bytes and the model's enums are read straight
 * from JDBC, and only other types (arrays, intervals) ask Jdbi for their column mapper, once per
 * result set.
 */
final class RecordRows implements RowMapperFactory {
    private static final ClassValue<Shape> SHAPES = new ClassValue<>() {
        @Override
        protected Shape computeValue(Class<?> type) {
            return Shape.of(type);
        }
    };

    @Override
    public Optional<RowMapper<?>> build(Type type, ConfigRegistry config) {
        Class<?> raw = GenericTypes.getErasedType(type);
        if (!raw.isRecord() || !raw.getPackageName().startsWith("dev.spinup.")) {
            return Optional.empty();
        }
        return Optional.of(new Mapper(SHAPES.get(raw)));
    }

    /** A record's components and its canonical constructor. */
    private record Shape(Class<?> type, RecordComponent[] components, MethodHandle constructor) {
        static Shape of(Class<?> type) {
            RecordComponent[] components = type.getRecordComponents();
            try {
                MethodHandle constructor = MethodHandles.privateLookupIn(type, MethodHandles.lookup())
                        .findConstructor(
                                type,
                                MethodType.methodType(
                                        void.class,
                                        Arrays.stream(components)
                                                .map(RecordComponent::getType)
                                                .toArray(Class<?>[]::new)))
                        .asSpreader(Object[].class, components.length);
                return new Shape(type, components, constructor);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("no canonical constructor for " + type, e);
            }
        }
    }

    private static final class Mapper implements RowMapper<Object> {
        private final Shape shape;

        Mapper(Shape shape) {
            this.shape = shape;
        }

        @Override
        public Object map(ResultSet rs, StatementContext ctx) throws SQLException {
            return specialize(rs, ctx).map(rs, ctx);
        }

        /** The columns of this result set matched to the components, and a reader for each. */
        @Override
        public RowMapper<Object> specialize(ResultSet rs, StatementContext ctx) throws SQLException {
            Map<String, Integer> columns = new HashMap<>();
            ResultSetMetaData meta = rs.getMetaData();
            for (int i = meta.getColumnCount(); i >= 1; i--) { // the first of equal names wins
                columns.put(normalized(meta.getColumnLabel(i)), i);
            }
            RecordComponent[] components = shape.components();
            Rows.Reader[] readers = new Rows.Reader[components.length];
            for (int c = 0; c < components.length; c++) {
                Integer column = columns.get(normalized(components[c].getName()));
                if (column == null) {
                    throw new IllegalStateException("no column for "
                            + shape.type().getSimpleName() + "." + components[c].getName() + " in the result");
                }
                readers[c] = reader(components[c], column, ctx);
            }
            return (row, context) -> {
                Object[] values = new Object[readers.length];
                for (int c = 0; c < readers.length; c++) {
                    values[c] = readers[c].read(row);
                }
                try {
                    return shape.constructor().invoke(values);
                } catch (RuntimeException | Error e) {
                    throw e;
                } catch (Throwable e) {
                    throw new IllegalStateException(
                            "cannot construct " + shape.type().getSimpleName(), e);
                }
            };
        }
    }

    /** {@link Rows#direct} for the component's type, else the column mapper Jdbi has for it (arrays, intervals). */
    private static Rows.Reader reader(RecordComponent component, int column, StatementContext ctx) {
        Rows.Reader direct = Rows.direct(component.getType(), column);
        if (direct != null) {
            return direct;
        }
        ColumnMapper<?> mapper = ctx.findColumnMapperFor(component.getGenericType())
                .orElseThrow(() -> new IllegalStateException("no column mapper for " + component));
        return rs -> mapper.map(rs, column, ctx);
    }

    /** ConstructorMapper's matching: case and underscores do not count. */
    private static String normalized(String name) {
        return name.replace("_", "").toLowerCase(Locale.ROOT);
    }
}
