-- Bumped by every transaction that takes a shop's catalogue lock (products::lock_catalogue),
-- which every writer of the shop's products does. A bulk import carries the shop's live-product
-- count from batch to batch instead of counting again: it may do so only while the version it
-- finds is one past its own previous batch's, i.e. nobody else has locked the shop since.
ALTER TABLE shops ADD COLUMN catalogue_version BIGINT NOT NULL DEFAULT 0;
