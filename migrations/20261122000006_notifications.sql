-- Notification batches: an admin's message to a list of users or to a role, fanned out by a
-- worker into one `notifications` row per recipient (the in-app notification and the user's
-- history for every channel) and, for email, one email job per recipient.

CREATE TABLE notification_batches (
    id                 UUID PRIMARY KEY,
    created_by         UUID REFERENCES users (id) ON DELETE SET NULL,
    channel            TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'in_app')),
    -- The audience: exactly one of a role or a list of user ids.
    audience_role      TEXT CHECK (audience_role IN ('superadmin', 'maintainer', 'seller', 'client')),
    audience_user_ids  UUID[],
    subject            TEXT,
    body               TEXT NOT NULL,
    -- Notifications created so far (the fan-out's progress).
    recipients         INTEGER NOT NULL DEFAULT 0,
    -- The fan-out job; its ledger status tells a failed batch apart.
    job_id             UUID REFERENCES jobs (id) ON DELETE SET NULL,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at         TIMESTAMPTZ,
    finished_at        TIMESTAMPTZ,
    CHECK ((audience_role IS NULL) <> (audience_user_ids IS NULL)),
    CHECK (channel <> 'email' OR subject IS NOT NULL)
);
CREATE INDEX notification_batches_created_idx ON notification_batches (created_at DESC);

-- One notification per (batch, user): a fan-out run again after a crash creates nothing twice.
-- Notifications outside a batch (batch_id NULL) are not constrained.
ALTER TABLE notifications
    ADD COLUMN batch_id UUID REFERENCES notification_batches (id) ON DELETE CASCADE;
CREATE UNIQUE INDEX notifications_batch_user_key ON notifications (batch_id, user_id);
