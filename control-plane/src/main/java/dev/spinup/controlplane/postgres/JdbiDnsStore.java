package dev.spinup.controlplane.postgres;

import dev.spinup.controlplane.store.DnsStore;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.StatementContext;
import org.jdbi.v3.sqlobject.config.RegisterRowMapper;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** dns_records in PostgreSQL, and the names the workspaces and their home hosts call for. */
interface JdbiDnsStore extends DnsStore {
    @Override
    @SqlQuery("""
            SELECT w.id, h.edge_address, w.preview_ports,
                ARRAY(SELECT d.domain FROM workspace_domains d WHERE d.workspace_id = w.id AND d.kind = 'custom'
                      ORDER BY d.domain) AS custom_domains
            FROM workspaces w JOIN hosts h ON h.id = w.home_host_id
            WHERE w.state <> 'deleted' AND h.edge_address IS NOT NULL AND h.edge_address <> ''""")
    @RegisterRowMapper(NamedMapper.class)
    List<Named> named();

    @Override
    @SqlQuery("SELECT name, type, value FROM dns_records")
    List<DnsRecord> published();

    @Override
    @SqlUpdate("""
            INSERT INTO dns_records (name, type, value, published_at) VALUES (:r.name, :r.type, :r.value, :now)
            ON CONFLICT (name) DO UPDATE SET type = excluded.type, value = excluded.value,
                published_at = excluded.published_at""")
    void recordPublished(@BindMethods("r") DnsRecord record, Instant now);

    @Override
    @SqlUpdate("DELETE FROM dns_records WHERE name = :name")
    void recordDeleted(String name);

    final class NamedMapper implements RowMapper<Named> {
        @Override
        public Named map(ResultSet rs, StatementContext ctx) throws SQLException {
            java.sql.Array ports = rs.getArray("preview_ports");
            return new Named(
                    rs.getObject("id", UUID.class),
                    rs.getString("edge_address"),
                    ports == null ? List.of() : List.of((Integer[]) ports.getArray()),
                    List.of((String[]) rs.getArray("custom_domains").getArray()));
        }
    }
}
