-- Shipping documents: an order's packing slip (rendered when it enters `preparing`) and its
-- delivery note (when it is `shipped`), PDFs in storage. One per order and kind, so a job run
-- twice makes one document.

ALTER TABLE orders
    ADD COLUMN carrier TEXT CHECK (length(carrier) BETWEEN 1 AND 100),
    ADD COLUMN tracking_number TEXT CHECK (length(tracking_number) BETWEEN 1 AND 64);

CREATE TABLE order_documents (
    id           UUID PRIMARY KEY,
    order_id     UUID NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('packing_slip', 'delivery_note')),
    status       TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'succeeded', 'failed')),
    file_key     TEXT,
    size_bytes   BIGINT,
    error        TEXT,
    -- The rendering job; its ledger row tells a retrying document apart.
    job_id       UUID REFERENCES jobs (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at  TIMESTAMPTZ,
    UNIQUE (order_id, kind),
    CHECK (status <> 'succeeded' OR file_key IS NOT NULL)
);
