-- Text messages and one-time codes.

-- A phone proven by a registration code; the language of the user's order messages.
ALTER TABLE users
    ADD COLUMN phone_verified_at TIMESTAMPTZ,
    ADD COLUMN locale TEXT CHECK (locale IN ('fr', 'en'));

-- One live code per phone and purpose. A resend replaces the code in the same row, so its
-- failure count survives; the worker that sends the SMS draws the code and writes only its
-- HMAC here (code_hash stays NULL until then), so no plaintext code is ever stored.
DROP TABLE otp_codes;
CREATE TABLE otp_codes (
    id            UUID PRIMARY KEY,
    phone         TEXT NOT NULL,
    purpose       TEXT NOT NULL CHECK (purpose IN ('registration', 'login', 'password_reset')),
    code_hash     BYTEA,
    attempts      INTEGER NOT NULL DEFAULT 0,
    sends         INTEGER NOT NULL DEFAULT 1,
    last_sent_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at    TIMESTAMPTZ NOT NULL,
    consumed_at   TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX otp_codes_live_idx ON otp_codes (phone, purpose) WHERE consumed_at IS NULL;
CREATE INDEX otp_codes_created_idx ON otp_codes (created_at);

-- Every send attempt of a code, for the hourly caps (per phone and per client IP).
CREATE TABLE otp_sends (
    id          BIGSERIAL PRIMARY KEY,
    phone       TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    client_ip   INET,
    sent_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX otp_sends_phone_idx ON otp_sends (phone, sent_at);
CREATE INDEX otp_sends_ip_idx ON otp_sends (client_ip, sent_at);

-- A verified password-reset code's single-use token (stored hashed).
CREATE TABLE password_reset_tokens (
    id          UUID PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  BYTEA NOT NULL UNIQUE,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per text message, one job each. `sending` is written before the provider call: a
-- job that finds its message already `sending` was interrupted mid-call and marks it `unknown`
-- instead of sending it twice. OTP messages have no body here (it holds the code).
CREATE TABLE sms_messages (
    id                   UUID PRIMARY KEY,
    to_phone             TEXT NOT NULL,
    purpose              TEXT NOT NULL
                         CHECK (purpose IN ('otp_registration', 'otp_login', 'otp_password_reset',
                                            'notification', 'order_status')),
    user_id              UUID REFERENCES users (id) ON DELETE SET NULL,
    otp_id               UUID REFERENCES otp_codes (id) ON DELETE SET NULL,
    body                 TEXT,
    status               TEXT NOT NULL DEFAULT 'queued'
                         CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'undelivered',
                                           'failed', 'unknown')),
    provider             TEXT,
    provider_message_id  TEXT,
    transient_failures   INTEGER NOT NULL DEFAULT 0,
    error                TEXT,
    dedupe_key           TEXT UNIQUE,
    sent_at              TIMESTAMPTZ,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX sms_messages_provider_id_idx ON sms_messages (provider, provider_message_id)
    WHERE provider_message_id IS NOT NULL;
CREATE INDEX sms_messages_created_idx ON sms_messages (created_at DESC);
CREATE INDEX sms_messages_to_idx ON sms_messages (to_phone, created_at DESC);

-- Delivery reports that overtook our record of the provider's message id; applied when the id
-- is recorded, forgotten after an hour (see domain::sms::reports).
CREATE TABLE sms_early_reports (
    provider             TEXT NOT NULL,
    provider_message_id  TEXT NOT NULL,
    status               TEXT NOT NULL,
    error                TEXT,
    received_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, provider_message_id, status)
);
CREATE INDEX sms_early_reports_received_idx ON sms_early_reports (received_at);
