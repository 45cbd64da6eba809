-- Most jobs carry no business key. A partial index keeps them out of it: one index entry fewer
-- for each of a job's row versions (inserted, relayed, claimed, finished).
ALTER TABLE jobs DROP CONSTRAINT jobs_unique_key_key;
CREATE UNIQUE INDEX jobs_unique_key_idx ON jobs (unique_key) WHERE unique_key IS NOT NULL;
