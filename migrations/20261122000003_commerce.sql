-- Orders, promotions, payments and notifications.

CREATE TABLE promotions (
    id          UUID PRIMARY KEY,
    code        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('coupon', 'flash')),
    percent     INTEGER NOT NULL CHECK (percent BETWEEN 1 AND 100),
    start_date  TIMESTAMPTZ NOT NULL,
    end_date    TIMESTAMPTZ NOT NULL,
    shop_id     UUID REFERENCES shops (id),
    segments    JSONB NOT NULL DEFAULT '[]',
    created_by  UUID REFERENCES users (id),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (end_date > start_date)
);
CREATE UNIQUE INDEX promotions_code_key ON promotions (upper(code));
CREATE INDEX promotions_active_idx ON promotions (start_date, end_date);

CREATE TABLE orders (
    id                UUID PRIMARY KEY,
    client_id         UUID NOT NULL REFERENCES users (id),
    shop_id           UUID NOT NULL REFERENCES shops (id),
    status            TEXT NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'paid', 'preparing', 'shipped', 'delivered', 'cancelled')),
    currency          CHAR(3) NOT NULL,
    subtotal_amount   BIGINT NOT NULL CHECK (subtotal_amount >= 0),
    discount_amount   BIGINT NOT NULL DEFAULT 0 CHECK (discount_amount >= 0),
    total_amount      BIGINT NOT NULL CHECK (total_amount >= 0),
    promotion_id      UUID REFERENCES promotions (id),
    shipping_address  JSONB,
    paid_at           TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX orders_client_idx ON orders (client_id, created_at DESC);
CREATE INDEX orders_shop_idx ON orders (shop_id, created_at DESC);
CREATE INDEX orders_status_idx ON orders (status, created_at DESC);

CREATE TABLE order_lines (
    id                 UUID PRIMARY KEY,
    order_id           UUID NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id         UUID NOT NULL REFERENCES products (id),
    sku                TEXT NOT NULL,
    name               TEXT NOT NULL,
    unit_price_amount  BIGINT NOT NULL CHECK (unit_price_amount >= 0),
    quantity           INTEGER NOT NULL CHECK (quantity > 0),
    line_total_amount  BIGINT NOT NULL CHECK (line_total_amount >= 0)
);
CREATE INDEX order_lines_order_idx ON order_lines (order_id);
CREATE INDEX order_lines_product_idx ON order_lines (product_id);

CREATE TABLE payments (
    id            UUID PRIMARY KEY,
    order_id      UUID NOT NULL REFERENCES orders (id),
    provider      TEXT NOT NULL,
    provider_ref  TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'succeeded', 'failed', 'expired', 'refunded')),
    amount        BIGINT NOT NULL CHECK (amount >= 0),
    currency      CHAR(3) NOT NULL,
    expires_at    TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (provider, provider_ref)
);
CREATE INDEX payments_order_idx ON payments (order_id);
CREATE INDEX payments_pending_idx ON payments (created_at) WHERE status = 'pending';

-- Each provider event is stored once (replays are no-ops).
CREATE TABLE payment_events (
    id            UUID PRIMARY KEY,
    provider      TEXT NOT NULL,
    event_id      TEXT NOT NULL,
    event_type    TEXT NOT NULL,
    payment_id    UUID REFERENCES payments (id),
    payload       JSONB NOT NULL,
    received_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    processed_at  TIMESTAMPTZ,
    UNIQUE (provider, event_id)
);

CREATE TABLE notifications (
    id          UUID PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel     TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'in_app')),
    subject     TEXT,
    body        TEXT NOT NULL,
    read_at     TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC);

-- One row per message a provider must carry (email, SMS). The unique dedupe key is what makes
-- a re-run job send nothing twice: the row is written before the provider is called.
CREATE TABLE deliveries (
    id               UUID PRIMARY KEY,
    dedupe_key       TEXT NOT NULL UNIQUE,
    channel          TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient        TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sending', 'sent')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    provider_reply   TEXT,
    last_error       TEXT,
    sent_at          TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
