-- The operations console lists unfinished imports and reports: a partial index of each keeps
-- that a read of a few rows however long their history.
CREATE INDEX imports_unfinished_idx ON imports (created_at DESC) WHERE status IN ('queued', 'running');
CREATE INDEX reports_unfinished_idx ON reports (created_at DESC) WHERE status IN ('queued', 'running');
