-- Where a workspace's IDE answers on its host (http://host:port), on hosts that run one: set when
-- the workspace starts, cleared when it moves or is deleted, like endpoint. The edge's IDE name
-- (<id>--ide.<domain>) will proxy there once access grants guard it.
ALTER TABLE workspaces ADD COLUMN ide_endpoint text;
