-- Refunds asked of a payment: by a seller or an admin, or automatically for a duplicate. A
-- Stripe refund is carried out by a job (the refund id is its idempotency key); a mobile-money
-- refund is recorded as `manual`, for the back office to pay out.
CREATE TABLE payment_refunds (
    id UUID PRIMARY KEY,
    payment_id UUID NOT NULL REFERENCES payments (id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    reason TEXT,
    status TEXT NOT NULL CHECK (status IN ('requested', 'succeeded', 'failed', 'manual')),
    provider_ref TEXT,
    failure_reason TEXT,
    requested_by UUID REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX payment_refunds_payment_idx ON payment_refunds (payment_id);
