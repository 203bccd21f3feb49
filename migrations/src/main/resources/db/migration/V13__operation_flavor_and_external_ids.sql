-- An operation is filed under the flavor its workspace had when it was requested (a resize's: the
-- flavor it starts from). GetOperationDurations groups by it, so a create made as HOBBY stays a
-- HOBBY create after the workspace is resized to TEAM. Operations from before this column get
-- their workspace's flavor of today, the best that is known of them.
ALTER TABLE operations ADD COLUMN flavor text
    CHECK (flavor IN ('hobby', 'pro', 'team', 'custom'));
UPDATE operations o SET flavor = w.flavor FROM workspaces w WHERE w.id = o.workspace_id;
ALTER TABLE operations ALTER COLUMN flavor SET NOT NULL;

-- external_workspace_id names one workspace that is not deleted: a product that retries a create
-- with a new request_id gets EXTERNAL_WORKSPACE_ID_IN_USE instead of a second VM. Deleted
-- workspaces are pseudonymized ('deleted:<id>') and do not count.
DO $$
DECLARE
    duplicates text;
BEGIN
    SELECT string_agg(format('%L (workspaces %s)', external_workspace_id, ids), '; ')
    INTO duplicates
    FROM (SELECT external_workspace_id, string_agg(id::text, ', ' ORDER BY created_at) AS ids
          FROM workspaces WHERE state <> 'deleted'
          GROUP BY external_workspace_id HAVING count(*) > 1) AS d;
    IF duplicates IS NOT NULL THEN
        RAISE EXCEPTION 'external_workspace_id must name one live workspace, but these name several: %', duplicates
            USING HINT = 'delete the extra workspaces through the API (or give them distinct external ids), then start again';
    END IF;
END $$;
CREATE UNIQUE INDEX workspaces_external_workspace_id_live ON workspaces (external_workspace_id)
    WHERE state <> 'deleted';
