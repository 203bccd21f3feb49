-- Host loss: a host declared lost (by an operator, or silent past the loss grace) is fenced —
-- its certificate opens no session — and each of its active and suspended workspaces is
-- recovered by a RECOVER operation of its own.
ALTER TABLE hosts DROP CONSTRAINT hosts_state_check;
ALTER TABLE hosts ADD CONSTRAINT hosts_state_check
    CHECK (state IN ('enrolling', 'healthy', 'unhealthy', 'draining', 'retired', 'lost'));

ALTER TABLE operations DROP CONSTRAINT operations_verb_check;
ALTER TABLE operations ADD CONSTRAINT operations_verb_check
    CHECK (verb IN ('create', 'suspend', 'archive', 'restore', 'delete', 'resize', 'add_domain', 'remove_domain',
                    'snapshot', 'repair', 'set_sharing', 'recover'));

-- Why the control plane put a workspace in its state by itself ('' when it did not):
-- 'no_snapshot' for a lost host's workspace archived with no verified snapshot to recover from.
ALTER TABLE workspaces ADD COLUMN state_reason text NOT NULL DEFAULT ''
    CHECK (state_reason IN ('', 'no_snapshot'));
