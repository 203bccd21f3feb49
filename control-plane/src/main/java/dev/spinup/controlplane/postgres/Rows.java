package dev.spinup.controlplane.postgres;

import java.sql.ResultSet;
import java.sql.SQLException;
import org.jdbi.v3.core.statement.StatementContext;

/** Reads a column with the column mapper Jdbi has for its type (Instant, UUID, the model's enums). */
final class Rows {
    private Rows() {}

    static <T> T get(ResultSet rs, StatementContext ctx, String column, Class<T> type) throws SQLException {
        return ctx.findColumnMapperFor(type)
                .orElseThrow(() -> new IllegalStateException("no column mapper for " + type))
                .map(rs, column, ctx);
    }
}
