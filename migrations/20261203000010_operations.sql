-- Operations: queue figures from the ledger, live worker processes, and job cancellation.

-- An admin asked a running job to stop: its worker sees it at the next lease renewal.
ALTER TABLE jobs ADD COLUMN cancel_requested_at TIMESTAMPTZ;

-- Per-queue counts of the jobs not yet done (a small part of a ledger of millions of rows).
CREATE INDEX jobs_open_by_queue_idx ON jobs (queue, status, run_at)
    WHERE status IN ('queued', 'running', 'retrying', 'dead');
-- Throughput and run times over the last hour: a range of the newest finished jobs.
CREATE INDEX jobs_finished_idx ON jobs (finished_at) INCLUDE (queue, started_at)
    WHERE finished_at IS NOT NULL;

-- One row per worker process, refreshed by its heartbeat.
CREATE TABLE worker_processes (
    name          TEXT PRIMARY KEY,
    host          TEXT NOT NULL,
    pid           INTEGER NOT NULL,
    version       TEXT NOT NULL,
    -- {"email": 32, "imports": 2}: each queue served and its concurrency.
    queues        JSONB NOT NULL,
    in_flight     INTEGER NOT NULL DEFAULT 0,
    started_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    heartbeat_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    stopped_at    TIMESTAMPTZ
);
CREATE INDEX worker_processes_heartbeat_idx ON worker_processes (heartbeat_at DESC);

-- Whichever path ends a job `cancelled` (an admin's cancel of a queued job, the worker's record
-- of a stopped run, a recovered lease whose run was asked to stop), the import or report it was
-- carrying out is cancelled with it, in the same transaction.
CREATE FUNCTION cancel_carried_work() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE imports SET status = 'cancelled', finished_at = now()
        WHERE job_id = NEW.id AND status IN ('queued', 'running');
    UPDATE reports SET status = 'cancelled', finished_at = now()
        WHERE job_id = NEW.id AND status IN ('queued', 'running');
    RETURN NULL;
END $$;
CREATE TRIGGER jobs_cancel_carried_work AFTER UPDATE OF status ON jobs
    FOR EACH ROW WHEN (NEW.status = 'cancelled' AND OLD.status IS DISTINCT FROM 'cancelled')
    EXECUTE FUNCTION cancel_carried_work();
