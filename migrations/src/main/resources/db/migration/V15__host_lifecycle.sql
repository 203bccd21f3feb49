-- Host lifecycle: a host that enrolled (or was registered) is 'enrolling' until its first
-- heartbeat; every state says since when and why (ListHosts / GetHost show both).
ALTER TABLE hosts DROP CONSTRAINT hosts_state_check;
ALTER TABLE hosts ADD CONSTRAINT hosts_state_check
    CHECK (state IN ('enrolling', 'healthy', 'unhealthy', 'draining', 'retired'));
ALTER TABLE hosts ALTER COLUMN state SET DEFAULT 'enrolling';
ALTER TABLE hosts ADD COLUMN state_since  timestamptz NOT NULL DEFAULT now();
ALTER TABLE hosts ADD COLUMN state_reason text NOT NULL DEFAULT '' CHECK (length(state_reason) <= 500);
-- A host that never sent a heartbeat is still enrolling.
UPDATE hosts SET state = 'enrolling', state_reason = 'waiting for its first heartbeat'
    WHERE state = 'unhealthy' AND last_heartbeat_at IS NULL;
UPDATE hosts SET state_since = COALESCE(last_heartbeat_at, created_at);
