-- Failed logins are counted per (account as typed, client IP), not per account: a guesser
-- locks only itself out of an account, never its owner, and an unknown email is treated
-- exactly like a known one. Lockouts grow with each lock of the same pair.
CREATE TABLE login_failures (
    account       TEXT NOT NULL,
    client_ip     INET NOT NULL,
    failures      INTEGER NOT NULL DEFAULT 0,
    lockouts      INTEGER NOT NULL DEFAULT 0,
    locked_until  TIMESTAMPTZ,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (account, client_ip)
);
CREATE INDEX login_failures_updated_idx ON login_failures (updated_at);

ALTER TABLE users DROP COLUMN failed_logins, DROP COLUMN locked_until;
