-- Shops, categories, products and their images.

CREATE TABLE shops (
    id                   UUID PRIMARY KEY,
    owner_id             UUID NOT NULL REFERENCES users (id),
    name                 TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description          TEXT NOT NULL DEFAULT '',
    category             TEXT NOT NULL DEFAULT '',
    status               TEXT NOT NULL DEFAULT 'active'
                         CHECK (status IN ('active', 'blocked', 'disabled')),
    start_date           TIMESTAMPTZ NOT NULL,
    end_date             TIMESTAMPTZ NOT NULL,
    item_limit           INTEGER NOT NULL CHECK (item_limit >= 0),
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (end_date > start_date)
);
CREATE INDEX shops_owner_idx ON shops (owner_id);
-- The expiry sweep: active shops by end date. (Its emails go out once per shop and period through
-- unique job keys, so the table needs no "notified" flags.)
CREATE INDEX shops_status_end_idx ON shops (status, end_date);

CREATE TABLE categories (
    id          UUID PRIMARY KEY,
    parent_id   UUID REFERENCES categories (id) ON DELETE RESTRICT,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX categories_sibling_name_key
    ON categories (COALESCE(parent_id, '00000000-0000-0000-0000-000000000000'::uuid), lower(name));

CREATE TABLE products (
    id            UUID PRIMARY KEY,
    shop_id       UUID NOT NULL REFERENCES shops (id),
    sku           TEXT NOT NULL CHECK (length(sku) BETWEEN 1 AND 100),
    name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    description   TEXT NOT NULL DEFAULT '',
    price_amount  BIGINT NOT NULL CHECK (price_amount > 0),
    currency      CHAR(3) NOT NULL,
    stock         INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0),
    category_id   UUID REFERENCES categories (id),
    color         TEXT,
    size          TEXT,
    variations    JSONB NOT NULL DEFAULT '[]',
    features      JSONB NOT NULL DEFAULT '{}',
    published     BOOLEAN NOT NULL DEFAULT TRUE,
    views         BIGINT NOT NULL DEFAULT 0,
    sales         BIGINT NOT NULL DEFAULT 0,
    deleted_at    TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Bulk import upserts on (shop_id, sku).
CREATE UNIQUE INDEX products_shop_sku_key ON products (shop_id, sku);
CREATE INDEX products_catalogue_idx ON products (shop_id, created_at DESC)
    WHERE published AND deleted_at IS NULL;
CREATE INDEX products_category_idx ON products (category_id) WHERE deleted_at IS NULL;
CREATE INDEX products_price_idx ON products (price_amount) WHERE published AND deleted_at IS NULL;

CREATE TABLE product_images (
    id          UUID PRIMARY KEY,
    product_id  UUID NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'ready', 'rejected')),
    source_key  TEXT NOT NULL,
    sha256      BYTEA,
    position    INTEGER NOT NULL DEFAULT 0,
    variants    JSONB NOT NULL DEFAULT '[]',
    reason      TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX product_images_product_idx ON product_images (product_id, position);
-- The same content attached twice to one product is one image (idempotent re-imports).
CREATE UNIQUE INDEX product_images_content_key ON product_images (product_id, sha256);
