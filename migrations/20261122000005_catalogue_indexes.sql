-- Indexes for the public catalogue (GET /v1/products): published, not deleted products, sorted
-- by price, newest or popularity, searched by text. Checked with EXPLAIN on 100k products
-- (see README, "Catalogue benchmark").
CREATE INDEX products_newest_idx ON products (created_at DESC, id DESC)
    WHERE published AND deleted_at IS NULL;
CREATE INDEX products_popular_idx ON products (sales DESC, views DESC, id DESC)
    WHERE published AND deleted_at IS NULL;
CREATE INDEX products_price_sort_idx ON products (price_amount, id)
    WHERE published AND deleted_at IS NULL;
DROP INDEX products_price_idx;
CREATE INDEX products_search_idx ON products
    USING GIN (to_tsvector('simple', name || ' ' || description))
    WHERE published AND deleted_at IS NULL;
CREATE INDEX products_color_size_idx ON products (color, size)
    WHERE published AND deleted_at IS NULL;
