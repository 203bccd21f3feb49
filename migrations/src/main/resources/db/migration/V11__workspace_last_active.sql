-- When the workspace was last used (a request through the edge, an open IDE connection), as its
-- host reports it with its heartbeats. NULL until first used. Only ever moves forward.
ALTER TABLE workspaces ADD COLUMN last_active_at timestamptz;
