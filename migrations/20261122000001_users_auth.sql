-- Users, credentials and sessions.
-- Roles and statuses are TEXT with CHECK constraints rather than enums: adding a value is a
-- one-line migration and sqlx maps them without custom types.

CREATE TABLE users (
    id              UUID PRIMARY KEY,
    email           TEXT,
    phone           TEXT,
    password_hash   TEXT NOT NULL,
    name            TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    role            TEXT NOT NULL DEFAULT 'client'
                    CHECK (role IN ('superadmin', 'maintainer', 'seller', 'client')),
    want_shop       BOOLEAN NOT NULL DEFAULT FALSE,
    banned_at       TIMESTAMPTZ,
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (email IS NOT NULL OR phone IS NOT NULL)
);
-- Emails are stored lower-cased by the application; the index guards it anyway.
CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX users_phone_key ON users (phone) WHERE phone IS NOT NULL;
CREATE INDEX users_role_idx ON users (role, created_at DESC);

-- Opaque refresh tokens, stored as SHA-256 hashes. A family is one login's chain of rotations:
-- presenting an already-rotated token revokes the whole family (token theft detection).
CREATE TABLE refresh_tokens (
    id          UUID PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id   UUID NOT NULL,
    token_hash  BYTEA NOT NULL UNIQUE,
    expires_at  TIMESTAMPTZ NOT NULL,
    rotated_at  TIMESTAMPTZ,
    revoked_at  TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE otp_codes (
    id           UUID PRIMARY KEY,
    phone        TEXT NOT NULL,
    purpose      TEXT NOT NULL CHECK (purpose IN ('registration', 'login', 'password_reset')),
    code_hash    BYTEA NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    expires_at   TIMESTAMPTZ NOT NULL,
    consumed_at  TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX otp_codes_lookup_idx ON otp_codes (phone, purpose, created_at DESC);

-- Audit trail of admin and seller writes.
CREATE TABLE action_logs (
    id           UUID PRIMARY KEY,
    actor_id     UUID REFERENCES users (id) ON DELETE SET NULL,
    action       TEXT NOT NULL,
    target_type  TEXT NOT NULL,
    target_id    UUID,
    meta         JSONB NOT NULL DEFAULT '{}',
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX action_logs_created_idx ON action_logs (created_at DESC);
CREATE INDEX action_logs_actor_idx ON action_logs (actor_id, created_at DESC);
CREATE INDEX action_logs_target_idx ON action_logs (target_type, target_id);

-- Idempotency-Key replays: the first response is kept and returned for the same key and body.
CREATE TABLE idempotency_keys (
    user_id          UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    route            TEXT NOT NULL,
    key              TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash     BYTEA NOT NULL,
    response_status  SMALLINT,
    response_body    JSONB,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, route, key)
);
