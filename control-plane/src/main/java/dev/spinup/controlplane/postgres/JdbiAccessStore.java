package dev.spinup.controlplane.postgres;

import dev.spinup.controlplane.store.AccessStore;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** access_keys and access_grants in PostgreSQL. */
interface JdbiAccessStore extends AccessStore {
    /** The advisory lock key of key rotation ("access_k" in ASCII). */
    long ROTATION_LOCK = 0x6163636573735f6bL;

    @Override
    default void lockKeys() {
        lockKeys(ROTATION_LOCK);
    }

    @SqlQuery("SELECT 1 FROM (SELECT pg_advisory_xact_lock(:key)) AS locked")
    int lockKeys(long key);

    @Override
    @SqlUpdate("""
            INSERT INTO access_keys (key_id, private_key, public_key, created_at, signs_from)
            VALUES (:keyId, :privateKey, :publicKey, :createdAt, :signsFrom)""")
    void insertKey(@BindMethods Key key);

    @Override
    @SqlQuery("SELECT * FROM access_keys WHERE key_id = :keyId")
    Optional<Key> findKey(String keyId);

    @Override
    @SqlQuery("""
            SELECT * FROM access_keys
            WHERE signs_from > :since
               OR key_id = (SELECT key_id FROM access_keys WHERE signs_from <= :since
                            ORDER BY signs_from DESC LIMIT 1)
            ORDER BY signs_from DESC""")
    List<Key> keysSince(Instant since);

    @Override
    @SqlQuery("SELECT * FROM access_keys ORDER BY signs_from DESC LIMIT 1")
    Optional<Key> newest();

    @Override
    @SqlUpdate("""
            INSERT INTO access_grants (grant_id, request_id, fingerprint, workspace_id, target, hostname, key_id,
                                       url_expires_at, session_expires_at, actor, created_at)
            VALUES (:grantId, :requestId, :fingerprint, :workspaceId, :target, :hostname, :keyId,
                    :urlExpiresAt, :sessionExpiresAt, :actor, :createdAt)
            ON CONFLICT (request_id) DO NOTHING""")
    boolean insertGrant(@BindMethods Grant grant);

    @Override
    @SqlQuery("SELECT * FROM access_grants WHERE request_id = :requestId")
    Optional<Grant> grantByRequest(String requestId);
}
