package dev.spinup.controlplane.postgres;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * Reads a column of the types the stores' row mappers use: strings, UUIDs, timestamps as Instant,
 * numbers, bytes and the model's enums (by their wire names) straight from JDBC; anything else
 * with the column mapper Jdbi has for its type. Jdbi's lookup of a column mapper (qualifiers,
 * generic types, a cache per configuration copy) would run for every column of every row read:
 * operations and workspaces are read by every step.
 */
final class Rows {
    private Rows() {}

    /** Reads one column of the current row. */
    interface Reader {
        Object read(ResultSet rs) throws SQLException;
    }

    @SuppressWarnings("unchecked")
    static <T> T get(ResultSet rs, StatementContext ctx, String column, Class<T> type) throws SQLException {
        int index = rs.findColumn(column);
        Reader direct = direct(type, index);
        if (direct != null) {
            return (T) direct.read(rs);
        }
        return ctx.findColumnMapperFor(type)
                .orElseThrow(() -> new IllegalStateException("no column mapper for " + type))
                .map(rs, index, ctx);
    }

    /** A reader of column {@code column} as {@code type} straight from JDBC; null: ask Jdbi for one. */
    static Reader direct(Class<?> type, int column) {
        if (type == String.class) {
            return rs -> rs.getString(column);
        }
        if (type == UUID.class) {
            return rs -> rs.getObject(column, UUID.class);
        }
        if (type == Instant.class) {
            return rs -> {
                OffsetDateTime at = rs.getObject(column, OffsetDateTime.class);
                return at == null ? null : at.toInstant();
            };
        }
        if (type == int.class) {
            return rs -> rs.getInt(column);
        }
        if (type == long.class) {
            return rs -> rs.getLong(column);
        }
        if (type == boolean.class) {
            return rs -> rs.getBoolean(column);
        }
        if (type == byte[].class) {
            return rs -> rs.getBytes(column);
        }
        if (WireValues.isWireEnum(type)) {
            return rs -> WireValues.fromWire(rs.getString(column), type);
        }
        return null;
    }
}
