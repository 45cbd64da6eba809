-- Reports (issue 5): what the generator needs beyond 20261122000004_pipelines.sql.
-- `scope_owner_id` is the seller a report was requested by: their reports only ever read rows of
-- the shops they own (NULL for admins, who see every shop). The file's name and size are kept
-- for the download's Content-Disposition and Content-Length.
ALTER TABLE reports
    ADD COLUMN scope_owner_id UUID REFERENCES users (id),
    ADD COLUMN file_name      TEXT,
    ADD COLUMN file_size      BIGINT,
    ADD COLUMN started_at     TIMESTAMPTZ;

-- Retention deletes every expired report, failed ones (no file) included.
DROP INDEX reports_expiry_idx;
CREATE INDEX reports_expires_idx ON reports (expires_at) WHERE expires_at IS NOT NULL;
-- Admins list every report, newest first.
CREATE INDEX reports_created_idx ON reports (created_at DESC);
