-- Marketing consents: the current choice per user and channel, and every change to it (GDPR:
-- when and how consent was given or withdrawn). No row means no consent (opt-in).

CREATE TABLE marketing_consents (
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel     TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    granted     BOOLEAN NOT NULL,
    -- How the current value was set: `api`, and what the request said about itself.
    source      TEXT NOT NULL,
    user_agent  TEXT,
    set_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, channel)
);

CREATE TABLE marketing_consent_changes (
    id          UUID PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel     TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    granted     BOOLEAN NOT NULL,
    source      TEXT NOT NULL,
    user_agent  TEXT,
    changed_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX marketing_consent_changes_user_idx ON marketing_consent_changes (user_id, changed_at DESC);

-- A marketing batch reaches only the users who consented to its channel. The others are
-- recorded once per (batch, user), like notifications, so a fan-out run again counts nobody twice.
ALTER TABLE notification_batches
    ADD COLUMN marketing BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN skipped_without_consent INTEGER NOT NULL DEFAULT 0;

CREATE TABLE notification_consent_skips (
    batch_id  UUID NOT NULL REFERENCES notification_batches (id) ON DELETE CASCADE,
    user_id   UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (batch_id, user_id)
);
