-- A region's capacity settings (SetRegionCapacity): how many hosts it may have, the room it keeps
-- free (headroom, in workspaces of a flavor) and how long an empty host stays before scale-in.
ALTER TABLE regions
    ADD COLUMN min_hosts           int  NOT NULL DEFAULT 0 CHECK (min_hosts >= 0),
    ADD COLUMN max_hosts           int  NOT NULL DEFAULT 0 CHECK (max_hosts >= 0),
    ADD COLUMN headroom_workspaces int  NOT NULL DEFAULT 0 CHECK (headroom_workspaces >= 0),
    ADD COLUMN headroom_flavor     text NOT NULL DEFAULT 'hobby' CHECK (headroom_flavor IN ('hobby', 'pro', 'team')),
    ADD COLUMN scale_in_cool_down_seconds int NOT NULL DEFAULT 600 CHECK (scale_in_cool_down_seconds >= 0),
    ADD CONSTRAINT regions_max_at_least_min CHECK (max_hosts = 0 OR max_hosts >= min_hosts);
