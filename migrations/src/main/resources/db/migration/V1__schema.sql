-- SpinUp schema v1. The schema is the contract: invariants live here, not only in code.
-- Persistent workspace states only in workspaces.state; transient work lives on operations.
-- Capacity is derived (sum over a host's active + suspended workspaces), never stored.

CREATE TABLE regions (
    id           text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    display_name text        NOT NULL,
    state        text        NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'retiring')),
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE hosts (
    id                uuid PRIMARY KEY,
    region_id         text        NOT NULL REFERENCES regions (id),
    fqdn              text        NOT NULL UNIQUE,
    total_vcpu        int         NOT NULL CHECK (total_vcpu >= 0),
    total_ram_gb      int         NOT NULL CHECK (total_ram_gb >= 0),
    total_disk_gb     int         NOT NULL CHECK (total_disk_gb >= 0),
    -- healthy/unhealthy follow heartbeats; draining and retired are an operator's decision.
    state             text        NOT NULL DEFAULT 'unhealthy'
                                  CHECK (state IN ('healthy', 'unhealthy', 'draining', 'retired')),
    last_heartbeat_at timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX hosts_placement ON hosts (region_id, id) WHERE state = 'healthy';

CREATE TABLE workspaces (
    id                        uuid PRIMARY KEY,
    external_workspace_id     text        NOT NULL CHECK (length(external_workspace_id) <= 200),
    external_user_id          text        NOT NULL CHECK (length(external_user_id) <= 200),
    display_name              text        NOT NULL CHECK (length(display_name) <= 200),
    region_id                 text        NOT NULL REFERENCES regions (id),
    -- The host the workspace runs on; for an archived workspace, the host that keeps its edge rule.
    host_id                   uuid REFERENCES hosts (id),
    flavor                    text        NOT NULL CHECK (flavor IN ('hobby', 'pro', 'team', 'custom')),
    vcpu                      int         NOT NULL CHECK (vcpu > 0),
    ram_gb                    int         NOT NULL CHECK (ram_gb > 0),
    disk_gb                   int         NOT NULL CHECK (disk_gb > 0),
    state                     text        NOT NULL CHECK (state IN ('active', 'suspended', 'archived', 'deleted')),
    -- Set while a transition is in flight: "is this workspace busy?" in O(1).
    current_operation_id      uuid,
    template                  text        NOT NULL
                                          CHECK (template IN ('starter', 'nextjs', 'react', 'react_native_web')),
    labels                    jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(labels) = 'object'),
    -- Where the workspace's app answers (reported by the agent when it starts).
    endpoint                  text,
    snapshot_interval_seconds int         NOT NULL DEFAULT 86400 CHECK (snapshot_interval_seconds > 0),
    snapshot_retention_count  int         NOT NULL DEFAULT 30 CHECK (snapshot_retention_count > 0),
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    CHECK (state IN ('archived', 'deleted') OR host_id IS NOT NULL)
);
-- Placement's capacity sum reads only this index (one LATERAL aggregate per host).
CREATE INDEX workspaces_host_allocation ON workspaces (host_id) INCLUDE (vcpu, ram_gb, disk_gb)
    WHERE state IN ('active', 'suspended');
CREATE INDEX workspaces_external_user ON workspaces (external_user_id);

CREATE TABLE workspace_domains (
    id             uuid PRIMARY KEY,
    workspace_id   uuid        NOT NULL REFERENCES workspaces (id),
    domain         text        NOT NULL UNIQUE CHECK (domain = lower(domain) AND length(domain) <= 253),
    kind           text        NOT NULL CHECK (kind IN ('default_subdomain', 'custom')),
    cert_state     text        NOT NULL DEFAULT 'pending' CHECK (cert_state IN ('pending', 'issued', 'failed', 'expired')),
    verified_at    timestamptz,
    cert_issued_at timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX workspace_domains_workspace ON workspace_domains (workspace_id);

CREATE TABLE operations (
    id                  uuid PRIMARY KEY,
    workspace_id        uuid        NOT NULL REFERENCES workspaces (id),
    verb                text        NOT NULL CHECK (verb IN ('create', 'suspend', 'archive', 'restore', 'delete',
                                                             'resize', 'add_domain', 'remove_domain', 'snapshot')),
    status              text        NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'rolled_back')),
    -- Idempotency: one operation per request_id, whatever the verb (covers CREATE, where no
    -- workspace exists before the call). The fingerprint tells a retry from a reuse.
    request_id          text        NOT NULL UNIQUE CHECK (length(request_id) BETWEEN 1 AND 128),
    request_fingerprint text        NOT NULL,
    -- The verb's parameters (e.g. a resize's target envelope).
    params              jsonb       NOT NULL DEFAULT '{}'::jsonb,
    actor               text        NOT NULL,
    -- The resumable record: which step, its attempts and timeline. Persisted after every step.
    step_state          jsonb       NOT NULL DEFAULT '{}'::jsonb,
    -- Bumped on every step_state write; a writer that lost a race (a job run twice) updates nothing.
    version             int         NOT NULL DEFAULT 0,
    -- db-scheduler execution (task 'operation', task_instance = job_id).
    job_id              text        NOT NULL UNIQUE,
    error_reason        text,
    error_message       text,
    trace_context       jsonb,
    requested_at        timestamptz NOT NULL,
    started_at          timestamptz,
    completed_at        timestamptz,
    CHECK ((status IN ('failed', 'rolled_back')) = (error_reason IS NOT NULL)),
    CHECK ((status IN ('succeeded', 'failed', 'rolled_back')) = (completed_at IS NOT NULL))
);
-- At most one transition in flight per workspace, enforced by the database. Periodic snapshots
-- do not make a workspace busy; at most one of them is in flight per workspace.
CREATE UNIQUE INDEX operations_one_in_flight ON operations (workspace_id)
    WHERE status IN ('pending', 'running') AND verb <> 'snapshot';
CREATE UNIQUE INDEX operations_one_snapshot_in_flight ON operations (workspace_id)
    WHERE status IN ('pending', 'running') AND verb = 'snapshot';
CREATE INDEX operations_workspace ON operations (workspace_id, id);
CREATE INDEX operations_durations ON operations (verb, completed_at) WHERE status = 'succeeded';

ALTER TABLE workspaces
    ADD CONSTRAINT workspaces_current_operation_fk FOREIGN KEY (current_operation_id)
        REFERENCES operations (id) DEFERRABLE INITIALLY DEFERRED;

CREATE TABLE snapshots (
    id           uuid PRIMARY KEY,
    workspace_id uuid        NOT NULL REFERENCES workspaces (id),
    object_uri   text        NOT NULL,
    size_bytes   bigint CHECK (size_bytes >= 0),
    checksum     text CHECK (checksum ~ '^sha256:[0-9a-f]{64}$'),
    tool         text        NOT NULL CHECK (tool IN ('restic', 'tar', 'qemu-img', 'kopia')),
    kind         text        NOT NULL CHECK (kind IN ('periodic', 'pre_archive')),
    -- A differential snapshot's full base (restore = base, then this); NULL for a full snapshot.
    base_id      uuid REFERENCES snapshots (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    verified_at  timestamptz,
    purged_at    timestamptz
);
CREATE INDEX snapshots_workspace ON snapshots (workspace_id, created_at);

-- Append-only (trigger below); survives workspace deletion; no PII.
CREATE TABLE audit_log (
    id                  bigserial PRIMARY KEY,
    workspace_id        uuid,
    -- Set on events about a workspace that has been deleted and pseudonymized.
    former_workspace_id uuid,
    operation_id        uuid,
    event_type          text        NOT NULL CHECK (event_type ~ '^[a-z_]+(\.[a-z_]+)*$'),
    event_data          jsonb       NOT NULL DEFAULT '{}'::jsonb,
    actor               text        NOT NULL CHECK (actor = 'system' OR actor ~ '^(api|admin):.+$'),
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_workspace ON audit_log (workspace_id, id);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- API bearer tokens, stored as SHA-256 of the token (tokens are 256-bit random, so no salt is needed).
CREATE TABLE api_tokens (
    id           uuid PRIMARY KEY,
    name         text        NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9._-]{1,64}$'),
    token_sha256 text        NOT NULL UNIQUE CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    scopes       text[]      NOT NULL CHECK (scopes <@ ARRAY ['workspaces', 'admin']::text[]),
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);

-- One-time host enrollment tokens.
CREATE TABLE enrollment_tokens (
    id           uuid PRIMARY KEY,
    token_sha256 text        NOT NULL UNIQUE CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    region_id    text        NOT NULL REFERENCES regions (id),
    created_by   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,
    used_by_host uuid REFERENCES hosts (id)
);

-- Commands to host agents: the durable outbox. A command is resent until its result is
-- recorded; the agent executes each command_id at most once.
CREATE TABLE agent_commands (
    command_id   text PRIMARY KEY,
    host_id      uuid        NOT NULL REFERENCES hosts (id),
    operation_id uuid        NOT NULL REFERENCES operations (id),
    kind         text        NOT NULL,
    command      bytea       NOT NULL,
    state        text        NOT NULL DEFAULT 'pending'
                             CHECK (state IN ('pending', 'acked', 'succeeded', 'failed', 'rejected')),
    result       bytea,
    send_count   int         NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz,
    acked_at     timestamptz,
    completed_at timestamptz
);
CREATE INDEX agent_commands_outbox ON agent_commands (host_id, created_at) WHERE state IN ('pending', 'acked');
CREATE INDEX agent_commands_operation ON agent_commands (operation_id);

-- Workspaces a host reports that the control plane does not know. Never destroyed automatically.
CREATE TABLE host_orphans (
    host_id       uuid        NOT NULL REFERENCES hosts (id),
    workspace_id  text        NOT NULL,
    local_state   text        NOT NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (host_id, workspace_id)
);

-- db-scheduler's execution table (db-scheduler 16.x layout).
CREATE TABLE scheduled_tasks (
    task_name            text                     NOT NULL,
    task_instance        text                     NOT NULL,
    task_data            bytea,
    execution_time       timestamp with time zone NOT NULL,
    picked               boolean                  NOT NULL,
    picked_by            text,
    last_success         timestamp with time zone,
    last_failure         timestamp with time zone,
    consecutive_failures int,
    last_heartbeat       timestamp with time zone,
    version              bigint                   NOT NULL,
    priority             smallint,
    PRIMARY KEY (task_name, task_instance)
);
CREATE INDEX execution_time_idx ON scheduled_tasks (execution_time);
CREATE INDEX last_heartbeat_idx ON scheduled_tasks (last_heartbeat);
CREATE INDEX priority_execution_time_idx ON scheduled_tasks (priority DESC, execution_time ASC);

-- Wake every replica's scheduler when work is inserted (each replica LISTENs on this channel),
-- so a job is picked up in milliseconds rather than at the next poll.
CREATE FUNCTION scheduled_tasks_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('spinup_jobs', '');
    RETURN NULL;
END $$;
CREATE TRIGGER scheduled_tasks_inserted AFTER INSERT ON scheduled_tasks
    FOR EACH STATEMENT EXECUTE FUNCTION scheduled_tasks_notify();
