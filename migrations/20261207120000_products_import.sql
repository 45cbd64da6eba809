-- The import that created a product. A later line of the same file that repeats the SKU is
-- then refused by looking at the product itself, instead of recording every imported SKU in
-- `import_skus`, which now holds only the SKUs an import matched with existing products (and,
-- in a dry run, all of them, since its products are rolled back).
--
-- No foreign key: it would cost a lookup in `imports` for every inserted row, and the column is
-- provenance, meaningful only while the import runs and harmless once the import is purged.
ALTER TABLE products ADD COLUMN import_id UUID;
