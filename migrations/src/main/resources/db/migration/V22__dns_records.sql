-- DNS that follows its workspaces: the records the control plane has published for their names,
-- as the DNS server took them. What each name should say is derived from the workspace and its
-- home host's edge; a recurring sync publishes every difference and records it here only once the
-- server answered, so a crash publishes again (an update that replaces a record is idempotent).
CREATE TABLE dns_records (
    name         text        PRIMARY KEY,
    type         text        NOT NULL CHECK (type IN ('A', 'AAAA', 'CNAME')),
    value        text        NOT NULL,
    published_at timestamptz NOT NULL
);
