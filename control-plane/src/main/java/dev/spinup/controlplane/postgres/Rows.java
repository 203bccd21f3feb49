package dev.spinup.controlplane.postgres;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * Reads a column of the types the stores' row mappers use: timestamps as Instant, UUIDs and the
 * model's enums (by their wire names) straight from JDBC; anything else with the column mapper
 * Jdbi has for its type. Jdbi's lookup of a column mapper (qualifiers, generic types, a cache per
 * configuration copy) would run for every column of every row read: operations and workspaces are
 * read by every step.
 */
final class Rows {
    private Rows() {}

    static <T> T get(ResultSet rs, StatementContext ctx, String column, Class<T> type) throws SQLException {
        if (type == Instant.class) {
            OffsetDateTime at = rs.getObject(column, OffsetDateTime.class);
            return type.cast(at == null ? null : at.toInstant());
        }
        if (type == UUID.class) {
            return type.cast(rs.getObject(column, UUID.class));
        }
        if (WireValues.isWireEnum(type)) {
            return WireValues.read(rs, column, type);
        }
        return ctx.findColumnMapperFor(type)
                .orElseThrow(() -> new IllegalStateException("no column mapper for " + type))
                .map(rs, column, ctx);
    }
}
