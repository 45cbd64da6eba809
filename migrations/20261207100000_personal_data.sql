-- Personal data: exports of everything held about a user (a ZIP of JSON files behind a signed
-- link, purged after its link expires) and erasures (personal data replaced by anonymous values
-- everywhere, orders and payments kept for accounting).

-- An account being erased can no longer sign in (`erasure_requested_at`); once the erasure job
-- has run (`erased_at`) it holds neither an email nor a phone, so both can register again.
ALTER TABLE users
    ADD COLUMN erasure_requested_at TIMESTAMPTZ,
    ADD COLUMN erased_at TIMESTAMPTZ;
ALTER TABLE users DROP CONSTRAINT users_check;
ALTER TABLE users ADD CONSTRAINT users_contact_check
    CHECK (email IS NOT NULL OR phone IS NOT NULL OR erased_at IS NOT NULL);

CREATE TABLE data_exports (
    id           UUID PRIMARY KEY,
    user_id      UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status       TEXT NOT NULL DEFAULT 'queued'
                 CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'expired')),
    file_key     TEXT,
    file_size    BIGINT,
    error        TEXT,
    job_id       UUID REFERENCES jobs (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at   TIMESTAMPTZ,
    finished_at  TIMESTAMPTZ,
    -- When the file (and its link) goes: the purge deletes it then.
    expires_at   TIMESTAMPTZ,
    CHECK (status <> 'succeeded' OR (file_key IS NOT NULL AND expires_at IS NOT NULL))
);
CREATE INDEX data_exports_user_idx ON data_exports (user_id, created_at DESC);
CREATE INDEX data_exports_expiry_idx ON data_exports (expires_at) WHERE file_key IS NOT NULL;

-- What an export reads by the user: the emails sent to their address, their texts.
CREATE INDEX deliveries_email_recipient_idx ON deliveries (lower(recipient)) WHERE channel = 'email';
CREATE INDEX sms_messages_user_idx ON sms_messages (user_id) WHERE user_id IS NOT NULL;
-- What an erasure deletes by the user.
CREATE INDEX password_reset_tokens_user_idx ON password_reset_tokens (user_id);
CREATE INDEX notification_consent_skips_user_idx ON notification_consent_skips (user_id);

-- One erasure per user, however often it is asked for. The job scrubs the database in one
-- transaction, recording there the stored files left to delete (`file_keys`, which hold no
-- personal data), then deletes them: a kill -9 at any point leaves either nothing done or a
-- list of files that the next run deletes.
CREATE TABLE user_erasures (
    user_id       UUID PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    source        TEXT NOT NULL CHECK (source IN ('self', 'admin')),
    requested_by  UUID REFERENCES users (id) ON DELETE SET NULL,
    status        TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'scrubbed', 'done')),
    file_keys     TEXT[] NOT NULL DEFAULT '{}',
    job_id        UUID REFERENCES jobs (id) ON DELETE SET NULL,
    requested_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    scrubbed_at   TIMESTAMPTZ,
    finished_at   TIMESTAMPTZ
);
