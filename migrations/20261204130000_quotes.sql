-- B2B quotes: a client asks a shop for a price on a list of products; the seller offers lines
-- at prices of their own until a date; the client accepts (an order at those prices) or
-- rejects; an offer left unanswered past its date expires.

-- Quote numbers are global and sequential: Q-<year>-<000123>.
CREATE SEQUENCE quote_numbers;

CREATE TABLE quotes (
    id             UUID PRIMARY KEY,
    number         TEXT NOT NULL UNIQUE,
    shop_id        UUID NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    client_id      UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    company_name   TEXT NOT NULL CHECK (length(company_name) BETWEEN 1 AND 200),
    vat_number     TEXT CHECK (length(vat_number) BETWEEN 4 AND 20),
    notes          TEXT CHECK (length(notes) <= 2000),
    -- The currency of the requested products: every price of the quote is in it.
    currency       TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'requested'
                   CHECK (status IN ('requested', 'offered', 'accepted', 'rejected', 'expired')),
    offer_notes    TEXT CHECK (length(offer_notes) <= 2000),
    valid_until    TIMESTAMPTZ,
    -- Bumped by every offer; the PDF of an older offer is not the latest.
    offer_version  INTEGER NOT NULL DEFAULT 0,
    pdf_key        TEXT,
    pdf_version    INTEGER NOT NULL DEFAULT 0,
    order_id       UUID REFERENCES orders (id) ON DELETE SET NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (status <> 'offered' OR valid_until IS NOT NULL)
);

CREATE INDEX quotes_by_shop ON quotes (shop_id, created_at DESC);
CREATE INDEX quotes_by_client ON quotes (client_id, created_at DESC);
-- The expiry sweep reads only offers.
CREATE INDEX quotes_offered_until ON quotes (valid_until) WHERE status = 'offered';

-- What the client asked for.
CREATE TABLE quote_items (
    quote_id    UUID NOT NULL REFERENCES quotes (id) ON DELETE CASCADE,
    product_id  UUID NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    quantity    INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 10000),
    PRIMARY KEY (quote_id, product_id)
);

-- What the seller offers (the latest offer replaces the previous one).
CREATE TABLE quote_lines (
    quote_id           UUID NOT NULL REFERENCES quotes (id) ON DELETE CASCADE,
    product_id         UUID NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    quantity           INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 10000),
    unit_price_amount  BIGINT NOT NULL CHECK (unit_price_amount > 0),
    PRIMARY KEY (quote_id, product_id)
);
