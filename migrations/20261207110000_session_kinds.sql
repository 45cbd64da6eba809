-- Console sessions (a cookie, never rotated) and API refresh tokens share the sessions table,
-- which ends them all together on logout, ban, password reset or erasure. The kind keeps them
-- apart: a stolen console cookie cannot be exchanged for API tokens at /v1/auth/refresh, nor
-- an API refresh token used as a console cookie.
ALTER TABLE refresh_tokens
    ADD COLUMN kind TEXT NOT NULL DEFAULT 'api' CHECK (kind IN ('api', 'console'));
-- Sessions open at the upgrade: console cookies last 8 hours, API refresh tokens days.
UPDATE refresh_tokens SET kind = 'console'
WHERE expires_at - created_at <= interval '8 hours 1 minute' AND revoked_at IS NULL;
