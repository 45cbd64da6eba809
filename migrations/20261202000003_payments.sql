-- Payments through a provider (stripe, cinetpay, paygate) or recorded by hand (manual: cash on
-- delivery), grown from the first sketch of the table into the whole state machine, and every
-- provider event, stored once per (provider, event key).
ALTER TABLE payments
    ALTER COLUMN provider_ref DROP NOT NULL,
    ALTER COLUMN status SET DEFAULT 'initiating',
    DROP CONSTRAINT payments_status_check,
    ADD CONSTRAINT payments_status_check
        CHECK (status IN ('initiating', 'pending', 'succeeded', 'failed', 'cancelled', 'expired',
                          'partially_refunded', 'refunded')),
    ADD CONSTRAINT payments_provider_check
        CHECK (provider IN ('stripe', 'cinetpay', 'paygate', 'manual')),
    ADD COLUMN refunded_amount BIGINT NOT NULL DEFAULT 0,
    ADD CONSTRAINT payments_refunded_check CHECK (refunded_amount BETWEEN 0 AND amount),
    -- Where the client pays (stripe, cinetpay) or what they do (paygate: approve on the phone).
    ADD COLUMN checkout_url TEXT,
    ADD COLUMN instructions TEXT,
    ADD COLUMN phone TEXT,
    ADD COLUMN return_url TEXT,
    -- amount_mismatch, duplicate, needs_refund: for admins.
    ADD COLUMN flags TEXT[] NOT NULL DEFAULT '{}',
    ADD COLUMN failure_reason TEXT,
    ADD COLUMN succeeded_at TIMESTAMPTZ;

CREATE INDEX payments_created_idx ON payments (created_at DESC);
-- The re-query sweep looks for payments left open.
DROP INDEX payments_pending_idx;
CREATE INDEX payments_open_idx ON payments (updated_at) WHERE status IN ('initiating', 'pending');

-- The provider's own event id (Stripe `evt_…`), or for providers without one a key built from
-- what identifies the notification.
ALTER TABLE payment_events RENAME COLUMN event_id TO event_key;
ALTER TABLE payment_events RENAME CONSTRAINT payment_events_provider_event_id_key TO payment_events_provider_event_key_key;
CREATE INDEX payment_events_payment_idx ON payment_events (payment_id, received_at);
