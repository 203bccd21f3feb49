-- Nothing in object storage without a record: a snapshot's row is written (state 'uploading')
-- before its upload starts, and completed ('uploaded': size, checksum, tool) with the agent's
-- result. An upload cut off by a crash, or rolled back, still has its row, so the object is
-- deleted with it; a recurring sweep deletes objects no live row references.
ALTER TABLE snapshots ADD COLUMN state text NOT NULL DEFAULT 'uploaded' CHECK (state IN ('uploading', 'uploaded'));
ALTER TABLE snapshots ALTER COLUMN state DROP DEFAULT;
ALTER TABLE snapshots ALTER COLUMN tool DROP NOT NULL;
ALTER TABLE snapshots DROP CONSTRAINT snapshots_tool_check;
ALTER TABLE snapshots ADD CONSTRAINT snapshots_tool_check CHECK (tool IN ('restic', 'tar', 'qemu-img', 'kopia', 'none'));
ALTER TABLE snapshots ADD CONSTRAINT snapshots_uploaded_complete
    CHECK (state = 'uploading' OR (size_bytes IS NOT NULL AND checksum IS NOT NULL AND tool IS NOT NULL));
-- The sweep looks objects up by their URI.
CREATE INDEX snapshots_object ON snapshots (object_uri);
