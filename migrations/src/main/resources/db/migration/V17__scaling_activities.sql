-- A region's scaling decisions (elastic regions): one in flight per region at a time, so every
-- replica agrees and a decision a crashed replica made is neither lost nor made twice. 'decided'
-- is recorded before the provider is asked; 'requested' once it said yes (provider_activity names
-- its own record, e.g. an Auto Scaling activity id); then 'fulfilled' or 'failed'.
CREATE TABLE scaling_activities (
    id                uuid PRIMARY KEY,
    region_id         text        NOT NULL REFERENCES regions (id),
    state             text        NOT NULL CHECK (state IN ('decided', 'requested', 'fulfilled', 'failed')),
    hosts_before      int         NOT NULL CHECK (hosts_before >= 0),
    hosts_wanted      int         NOT NULL CHECK (hosts_wanted > hosts_before),
    reason            text        NOT NULL CHECK (length(reason) <= 500),
    provider_activity text        CHECK (length(provider_activity) <= 200),
    error             text        CHECK (length(error) <= 2000),
    decided_at        timestamptz NOT NULL,
    requested_at      timestamptz,
    ended_at          timestamptz,
    CHECK ((state IN ('fulfilled', 'failed')) = (ended_at IS NOT NULL))
);
CREATE UNIQUE INDEX scaling_activities_one_in_flight ON scaling_activities (region_id)
    WHERE state IN ('decided', 'requested');
CREATE INDEX scaling_activities_by_region ON scaling_activities (region_id, decided_at DESC);
