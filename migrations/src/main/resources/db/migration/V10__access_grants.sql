-- Private by default: a browser reaches a workspace's IDE or app only with a grant the control
-- plane signed, unless the product published the app (SetSharing).

-- Whether the app's names are served without a grant. The IDE is never public.
ALTER TABLE workspaces ADD COLUMN app_public boolean NOT NULL DEFAULT false;

ALTER TABLE operations DROP CONSTRAINT operations_verb_check;
ALTER TABLE operations ADD CONSTRAINT operations_verb_check
    CHECK (verb IN ('create', 'suspend', 'archive', 'restore', 'delete', 'resize', 'add_domain', 'remove_domain',
                    'snapshot', 'repair', 'set_sharing'));

-- The Ed25519 keys grants are signed with. Every replica signs with the newest key whose
-- signs_from has passed; hosts get the public halves with every routing table, so a key is
-- published (and pushed to every host) a lead time before anyone signs with it. The private half
-- is as secret as the database itself: whoever reads it can open any workspace.
CREATE TABLE access_keys (
    key_id      text PRIMARY KEY,
    private_key bytea       NOT NULL,
    public_key  bytea       NOT NULL,
    created_at  timestamptz NOT NULL,
    signs_from  timestamptz NOT NULL
);

-- One row per CreateAccessGrant, for its idempotency (the same request_id returns the same URL:
-- Ed25519 signatures are deterministic, so the URL is signed again rather than stored) and for
-- the audit log. The URL itself is stored nowhere.
CREATE TABLE access_grants (
    grant_id           uuid PRIMARY KEY,
    request_id         text        NOT NULL UNIQUE,
    fingerprint        text        NOT NULL,
    workspace_id       uuid        NOT NULL REFERENCES workspaces (id),
    target             text        NOT NULL CHECK (target IN ('ide', 'app')),
    hostname           text        NOT NULL,
    key_id             text        NOT NULL REFERENCES access_keys (key_id),
    url_expires_at     timestamptz NOT NULL,
    session_expires_at timestamptz NOT NULL,
    actor              text        NOT NULL,
    created_at         timestamptz NOT NULL
);
CREATE INDEX access_grants_by_workspace ON access_grants (workspace_id, created_at);

-- A routing table pushed to a host outside any operation (a new access key) has no operation.
ALTER TABLE agent_commands ALTER COLUMN operation_id DROP NOT NULL;
