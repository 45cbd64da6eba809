-- Long-running work users poll (imports, reports) and the job ledger/outbox.

-- The job ledger is also the transactional outbox: a row inserted in the business transaction
-- is the durable enqueue; `relayed_at IS NULL` marks rows the relay still has to push to Redis.
-- Redis only carries job ids; status, attempts, errors and retry times live here.
CREATE TABLE jobs (
    id             UUID PRIMARY KEY,
    queue          TEXT NOT NULL,
    kind           TEXT NOT NULL,
    payload        JSONB NOT NULL,
    status         TEXT NOT NULL DEFAULT 'queued'
                   CHECK (status IN ('queued', 'running', 'retrying', 'succeeded', 'failed', 'dead', 'cancelled')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    max_attempts   INTEGER NOT NULL CHECK (max_attempts > 0),
    run_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    relayed_at     TIMESTAMPTZ,
    locked_by      TEXT,
    locked_until   TIMESTAMPTZ,
    last_error     TEXT,
    -- Optional business key: at most one job per key. Cron schedules insert one job per tick
    -- with the key `cron:<name>:<tick>`, so N replicas produce each tick's job exactly once.
    unique_key     TEXT UNIQUE,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at     TIMESTAMPTZ,
    finished_at    TIMESTAMPTZ,
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX jobs_relay_idx ON jobs (run_at) WHERE relayed_at IS NULL AND status IN ('queued', 'retrying');
CREATE INDEX jobs_lease_idx ON jobs (locked_until) WHERE status = 'running';
CREATE INDEX jobs_redeliver_idx ON jobs (relayed_at)
    WHERE status IN ('queued', 'retrying') AND relayed_at IS NOT NULL;
CREATE INDEX jobs_listing_idx ON jobs (status, queue, created_at DESC);

CREATE TABLE imports (
    id            UUID PRIMARY KEY,
    shop_id       UUID NOT NULL REFERENCES shops (id),
    requested_by  UUID NOT NULL REFERENCES users (id),
    status        TEXT NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    dry_run       BOOLEAN NOT NULL DEFAULT FALSE,
    csv_key       TEXT NOT NULL,
    images_key    TEXT,
    errors_key    TEXT,
    total_rows    INTEGER NOT NULL DEFAULT 0,
    processed     INTEGER NOT NULL DEFAULT 0,
    created       INTEGER NOT NULL DEFAULT 0,
    updated       INTEGER NOT NULL DEFAULT 0,
    failed        INTEGER NOT NULL DEFAULT 0,
    error         TEXT,
    job_id        UUID REFERENCES jobs (id) ON DELETE SET NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at    TIMESTAMPTZ,
    finished_at   TIMESTAMPTZ
);
CREATE INDEX imports_shop_idx ON imports (shop_id, created_at DESC);

CREATE TABLE reports (
    id            UUID PRIMARY KEY,
    requested_by  UUID NOT NULL REFERENCES users (id),
    report_type   TEXT NOT NULL
                  CHECK (report_type IN ('sales_summary', 'orders_detail', 'products_stock', 'shop_performance', 'payments')),
    format        TEXT NOT NULL CHECK (format IN ('pdf', 'xlsx', 'csv', 'json')),
    date_from     DATE NOT NULL,
    date_to       DATE NOT NULL,
    filters       JSONB NOT NULL DEFAULT '{}',
    status        TEXT NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    progress      INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    row_count     BIGINT,
    file_key      TEXT,
    error         TEXT,
    job_id        UUID REFERENCES jobs (id) ON DELETE SET NULL,
    expires_at    TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at   TIMESTAMPTZ,
    CHECK (date_to >= date_from)
);
CREATE INDEX reports_requester_idx ON reports (requested_by, created_at DESC);
CREATE INDEX reports_expiry_idx ON reports (expires_at) WHERE file_key IS NOT NULL;
