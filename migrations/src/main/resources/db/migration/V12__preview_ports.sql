-- Port previews: <id>--<port>.<domain> reaches a port the workspace listens on besides its app's
-- and IDE's.

-- What the workspace listens on now, as its host last reported it (each heartbeat that saw a
-- change replaces its host's whole report); empty when it runs nowhere.
ALTER TABLE workspaces ADD COLUMN preview_ports integer[] NOT NULL DEFAULT '{}';
-- The ports served without a grant (SetSharing PUBLIC with a port), listening or not.
ALTER TABLE workspaces ADD COLUMN public_ports integer[] NOT NULL DEFAULT '{}';

-- A grant for a preview port names it: 'port:<n>'.
ALTER TABLE access_grants DROP CONSTRAINT access_grants_target_check;
ALTER TABLE access_grants ADD CONSTRAINT access_grants_target_check
    CHECK (target IN ('ide', 'app') OR target ~ '^port:[0-9]{1,5}$');
