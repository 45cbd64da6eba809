-- Full-text search reads a stored tsvector instead of computing one per row: a search whose
-- words are rare (or absent, `q=zzzz`) no longer costs a to_tsvector of every product the
-- planner walks, and ANALYZE gathers lexeme statistics on the column, so the planner can tell
-- a common word from a rare one. The GIN index replaces the expression index.
ALTER TABLE products ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', name || ' ' || description)) STORED;
DROP INDEX products_search_idx;
CREATE INDEX products_search_idx ON products USING GIN (search)
    WHERE published AND deleted_at IS NULL;
