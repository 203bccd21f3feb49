-- Operations waiting for room in an elastic region: a CREATE (or a RESTORE of an archived
-- workspace) that found no host with room waits in a step of its own while the region grows.
-- The row is what the scaler sizes its next decision by; the step removes it in the transaction
-- that places the workspace, or that gives up. It is demand, not capacity: room stays derived.
CREATE TABLE capacity_waits (
    operation_id uuid        PRIMARY KEY REFERENCES operations (id),
    region_id    text        NOT NULL REFERENCES regions (id),
    vcpu         int         NOT NULL CHECK (vcpu > 0),
    ram_gb       int         NOT NULL CHECK (ram_gb > 0),
    disk_gb      int         NOT NULL CHECK (disk_gb > 0),
    since        timestamptz NOT NULL
);
CREATE INDEX capacity_waits_by_region ON capacity_waits (region_id, since);

-- A workspace being created may have no host yet, while its CREATE waits for one.
ALTER TABLE workspaces DROP CONSTRAINT workspaces_check;
ALTER TABLE workspaces ADD CONSTRAINT workspaces_host_check
    CHECK (state IN ('archived', 'deleted') OR host_id IS NOT NULL OR current_operation_id IS NOT NULL);

-- A region may be grown by an EC2 Auto Scaling group.
ALTER TABLE regions DROP CONSTRAINT regions_provider_check;
ALTER TABLE regions ADD CONSTRAINT regions_provider_check CHECK (provider IN ('static', 'local', 'aws-asg'));

-- Scale-in: since when a healthy host of an elastic region has held no active or suspended
-- workspace (NULL: it holds one). The scaler marks and clears it; past the region's cool-down
-- an empty host may be drained, released by its provider, and retired.
ALTER TABLE hosts ADD COLUMN empty_since timestamptz;
