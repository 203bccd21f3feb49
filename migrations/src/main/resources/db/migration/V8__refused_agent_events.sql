-- Events an agent sent that the control plane can never apply (no kind it knows, text Postgres
-- cannot store, a timestamp out of range, ...). They are acked with the refusal, so the agent's
-- replay does not stay stuck behind them, and kept here for the operator (the event's bytes up to
-- 64 KiB).
CREATE TABLE refused_agent_events (
    id         bigserial PRIMARY KEY,
    host_id    uuid        NOT NULL REFERENCES hosts (id),
    seq        bigint      NOT NULL,
    kind       text        NOT NULL,
    reason     text        NOT NULL,
    message    text        NOT NULL,
    event      bytea       NOT NULL,
    refused_at timestamptz NOT NULL
);
CREATE INDEX refused_agent_events_host ON refused_agent_events (host_id, id);
