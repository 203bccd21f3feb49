-- A host's routing table is derived from committed state when its ApplyEdgeRoutes command is sent,
-- not when the step that needs it runs: two transitions on one host can no longer each carry the
-- other's old state.
--
-- What a host's edge serves for a workspace while a transition is under way: set by the
-- transition's routes steps (before the state changes at the end), cleared when the operation
-- ends. NULL: as the workspace's state says.
ALTER TABLE workspaces ADD COLUMN edge_mode text
    CHECK (edge_mode IN ('proxy', 'suspended_page', 'archived_page', 'tombstone'));

-- Each host's table generation, taken in order (the row lock): a later generation is read later,
-- so it never carries older state than an earlier one. A host's first generation starts above the
-- time-based generations its agent may have applied before this migration (epoch milliseconds).
-- Its own table, so taking a generation never contends with placement's lock on the host row.
CREATE TABLE edge_generations (
    host_id    uuid PRIMARY KEY REFERENCES hosts (id),
    generation bigint NOT NULL
);

-- The size of the command as last sent (commands such as ApplyEdgeRoutes are completed when sent).
ALTER TABLE agent_commands ADD COLUMN sent_bytes int;
