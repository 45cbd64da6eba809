-- The relay now fills a bounded window per queue, so it looks for due, unrelayed jobs queue by
-- queue: one index ordered by (queue, run_at) replaces the global run_at one.
DROP INDEX IF EXISTS jobs_relay_idx;
CREATE INDEX jobs_relay_idx ON jobs (queue, run_at) WHERE relayed_at IS NULL AND status IN ('queued', 'retrying');

-- Lost-message detection compares relayed_at per queue with the oldest message still in Redis.
DROP INDEX IF EXISTS jobs_redeliver_idx;
CREATE INDEX jobs_redeliver_idx ON jobs (queue, relayed_at)
    WHERE status IN ('queued', 'retrying') AND relayed_at IS NOT NULL;

-- Each job row is updated three times in its life (relayed, claimed, finished): leave room on
-- each page so the new row versions stay on it.
ALTER TABLE jobs SET (fillfactor = 80);
