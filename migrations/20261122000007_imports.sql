-- Bulk import bookkeeping. Every batch of rows commits its products, its row errors and the
-- import's counters in one transaction, so a worker killed mid-import resumes after the last
-- committed batch: `imports.processed` (CSV records consumed) is the checkpoint.

-- Prices in a CSV are decimal amounts; the currency applies when a row names none (Shopify
-- exports never do).
ALTER TABLE imports ADD COLUMN currency CHAR(3) NOT NULL DEFAULT 'XOF';

-- The failed rows, downloadable as CSV. Capped per import by configuration; `imports.failed`
-- still counts every failure.
CREATE TABLE import_errors (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    import_id  UUID NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    line       BIGINT NOT NULL,
    "column"   TEXT NOT NULL,
    reason     TEXT NOT NULL
);
CREATE INDEX import_errors_import_idx ON import_errors (import_id, line, id);

-- SKUs an import has already taken, so a SKU repeated further down the file is a row error
-- without holding every SKU of a million-row file in the worker's memory. Emptied when the
-- import ends.
CREATE TABLE import_skus (
    import_id  UUID NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    sku        TEXT NOT NULL,
    line       BIGINT NOT NULL,
    PRIMARY KEY (import_id, sku)
);
