-- Console sessions (a cookie, never rotated) and API refresh tokens share the sessions table,
-- which ends them all together on logout, ban, password reset or erasure. The kind keeps them
-- apart: a stolen console cookie cannot be exchanged for API tokens at /v1/auth/refresh, nor
-- an API refresh token used as a console cookie.
ALTER TABLE refresh_tokens
    ADD COLUMN kind TEXT NOT NULL DEFAULT 'api' CHECK (kind IN ('api', 'console'));
