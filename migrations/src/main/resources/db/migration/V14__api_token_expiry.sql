-- API tokens as RPCs (CreateApiToken, ListApiTokens, RevokeApiToken): a token may expire, and
-- records who made it. Existing tokens never expire and were made by the installation.
ALTER TABLE api_tokens
    ADD COLUMN expires_at timestamptz,
    ADD COLUMN created_by text NOT NULL DEFAULT 'system'
        CHECK (created_by = 'system' OR created_by ~ '^(api|admin):.+$'),
    ADD CONSTRAINT api_tokens_expiry_after_creation CHECK (expires_at IS NULL OR expires_at > created_at);
