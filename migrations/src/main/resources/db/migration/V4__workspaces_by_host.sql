-- Every workspace on a host, whatever its state: the host's routing table (EdgeRoutes) lists its
-- suspended, archived and deleted workspaces too (pages, tombstones). The partial index
-- workspaces_host_allocation covers only active and suspended ones, so without this the routes
-- query read the whole workspaces table at every transition.
CREATE INDEX workspaces_host ON workspaces (host_id);
