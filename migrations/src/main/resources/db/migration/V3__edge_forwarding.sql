-- Edge forwarding. A workspace's DNS name points at its home host (where it was created) and is
-- never changed; when a restore places it on another host, the home host's edge forwards there.
ALTER TABLE hosts ADD COLUMN edge_address text;  -- host:port of the host's edge, from the agent's hello
ALTER TABLE workspaces ADD COLUMN home_host_id uuid REFERENCES hosts (id);
UPDATE workspaces SET home_host_id = host_id WHERE home_host_id IS NULL;
CREATE INDEX workspaces_home_host ON workspaces (home_host_id) WHERE home_host_id IS DISTINCT FROM host_id;
