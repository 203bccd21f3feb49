-- REPAIR: the control plane's own operation that brings a host back in line with the database
-- when reconcile finds an idle workspace in the wrong local state.
ALTER TABLE operations DROP CONSTRAINT operations_verb_check;
ALTER TABLE operations ADD CONSTRAINT operations_verb_check
    CHECK (verb IN ('create', 'suspend', 'archive', 'restore', 'delete', 'resize', 'add_domain', 'remove_domain',
                    'snapshot', 'repair'));
