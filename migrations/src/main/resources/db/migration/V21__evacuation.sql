-- EvacuateHost: each workspace moves off the host through an EVACUATE operation of its own,
-- by a fresh full snapshot (kind pre_move) restored on another host.
ALTER TABLE operations DROP CONSTRAINT operations_verb_check;
ALTER TABLE operations ADD CONSTRAINT operations_verb_check
    CHECK (verb IN ('create', 'suspend', 'archive', 'restore', 'delete', 'resize', 'add_domain', 'remove_domain',
                    'snapshot', 'repair', 'set_sharing', 'recover', 'evacuate'));

ALTER TABLE snapshots DROP CONSTRAINT snapshots_kind_check;
ALTER TABLE snapshots ADD CONSTRAINT snapshots_kind_check CHECK (kind IN ('periodic', 'pre_archive', 'pre_move'));
