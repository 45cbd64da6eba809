//! Notifications: admin batches (a message to users or a role), the per-user notifications a
//! batch fans out to, and the read state their owners set.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

use crate::consents::ConsentChannel;
use crate::pagination::{Page, PageRequest};
use crate::types::Role;
use crate::{StoreResult, new_id};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    /// Stored only for now: no SMS provider is wired yet.
    Sms,
    InApp,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Email, Channel::Sms, Channel::InApp];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::InApp => "in_app",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Channel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Channel::ALL
            .into_iter()
            .find(|channel| channel.as_str() == s)
            .ok_or_else(|| format!("must be one of email, sms, in_app, not `{s}`"))
    }
}

impl TryFrom<String> for Channel {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

/// One user's notification: the in-app message, and their history of every channel.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Notification {
    pub id: Uuid,
    pub user_id: Uuid,
    /// The admin batch that created it, if any.
    pub batch_id: Option<Uuid>,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    pub subject: Option<String>,
    pub body: String,
    /// When its owner marked it read; `null` while unread.
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

macro_rules! notification_columns {
    () => {
        "id, user_id, batch_id, channel, subject, body, read_at, created_at"
    };
}

/// An admin's message to an audience, and the progress of its fan-out.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Batch {
    pub id: Uuid,
    pub created_by: Option<Uuid>,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    /// The audience when it is a role.
    #[schema(example = "seller")]
    pub role: Option<String>,
    /// The audience when it is a list of users.
    pub user_ids: Option<Vec<Uuid>>,
    pub subject: Option<String>,
    pub body: String,
    /// A marketing message: it reaches only the users who consented to its channel.
    pub marketing: bool,
    /// `queued`, `running`, `succeeded`, `failed` or `cancelled` (from the fan-out job).
    pub status: String,
    /// Notifications created so far; the audience size once `succeeded` (banned users skipped).
    pub recipients: i32,
    /// Marketing batches: users of the audience left out for want of consent to the channel.
    pub skipped_without_consent: i32,
    /// The fan-out job (`GET /v1/admin/jobs/{id}`).
    pub job_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub enum Audience {
    Role(Role),
    Users(Vec<Uuid>),
}

pub struct NewBatch<'a> {
    pub id: Uuid,
    pub created_by: Uuid,
    pub channel: Channel,
    pub audience: &'a Audience,
    pub subject: Option<&'a str>,
    pub body: &'a str,
    pub marketing: bool,
    pub job_id: Uuid,
}

/// Inserts a batch whose fan-out job `job_id` was enqueued in the same transaction.
pub async fn insert_batch(tx: &mut PgConnection, batch: NewBatch<'_>) -> StoreResult<Batch> {
    let (role, user_ids) = match batch.audience {
        Audience::Role(role) => (Some(role.as_str()), None),
        Audience::Users(ids) => (None, Some(ids.as_slice())),
    };
    sqlx::query(
        "INSERT INTO notification_batches (id, created_by, channel, audience_role, audience_user_ids, subject, body, job_id, marketing) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(batch.id)
    .bind(batch.created_by)
    .bind(batch.channel.as_str())
    .bind(role)
    .bind(user_ids)
    .bind(batch.subject)
    .bind(batch.body)
    .bind(batch.job_id)
    .bind(batch.marketing)
    .execute(&mut *tx)
    .await?;
    Ok(find_batch(&mut *tx, batch.id)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?)
}

/// The batch, its status derived from its own timestamps and its fan-out job's ledger status.
pub async fn find_batch(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<Option<Batch>> {
    Ok(sqlx::query_as(
        "SELECT b.id, b.created_by, b.channel, b.audience_role AS role, b.audience_user_ids AS user_ids, \
           b.subject, b.body, b.marketing, b.recipients, b.skipped_without_consent, b.job_id, b.created_at, b.started_at, b.finished_at, \
           CASE WHEN b.finished_at IS NOT NULL THEN 'succeeded' \
                WHEN j.status IN ('failed', 'dead') THEN 'failed' \
                WHEN j.status = 'cancelled' THEN 'cancelled' \
                WHEN b.started_at IS NOT NULL THEN 'running' \
                ELSE 'queued' END AS status \
         FROM notification_batches b LEFT JOIN jobs j ON j.id = b.job_id WHERE b.id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?)
}

pub async fn start_batch(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<()> {
    sqlx::query(
        "UPDATE notification_batches SET started_at = COALESCE(started_at, now()) WHERE id = $1",
    )
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn finish_batch(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<()> {
    sqlx::query(
        "UPDATE notification_batches SET finished_at = COALESCE(finished_at, now()) WHERE id = $1",
    )
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

/// A user a batch reaches.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Recipient {
    pub id: Uuid,
    pub email: Option<String>,
    /// Their phone once verified (texts go to nothing else).
    pub verified_phone: Option<String>,
    /// Whether the batch may reach them: always, unless it is marketing and they did not consent
    /// to its channel.
    pub consented: bool,
}

/// The next `limit` recipients of `batch` after user `after` (keyset pagination by id), banned
/// users and accounts being erased excluded, so a large audience is never held in memory at
/// once. Each says whether they consented to the batch's channel when the batch is marketing.
pub async fn recipients_page(
    db: impl PgExecutor<'_>,
    batch: &Batch,
    after: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<Recipient>> {
    Ok(sqlx::query_as(
        "SELECT id, email, CASE WHEN phone_verified_at IS NOT NULL THEN phone END AS verified_phone, \
           ($5::text IS NULL OR EXISTS (SELECT 1 FROM marketing_consents c \
             WHERE c.user_id = users.id AND c.channel = $5 AND c.granted)) AS consented \
         FROM users \
         WHERE banned_at IS NULL AND erasure_requested_at IS NULL \
           AND ($1::text IS NULL OR role = $1) AND ($2::uuid[] IS NULL OR id = ANY($2)) \
           AND ($3::uuid IS NULL OR id > $3) \
         ORDER BY id LIMIT $4",
    )
    .bind(batch.role.as_deref())
    .bind(batch.user_ids.as_deref())
    .bind(after)
    .bind(limit)
    .bind(consent_needed(batch).map(ConsentChannel::as_str))
    .fetch_all(db)
    .await?)
}

/// The consent a batch's recipients need, if any.
pub fn consent_needed(batch: &Batch) -> Option<ConsentChannel> {
    batch
        .marketing
        .then(|| ConsentChannel::for_notifications(batch.channel))
        .flatten()
}

/// Records `users` as left out of `batch` for want of consent, once each, and counts the new
/// ones in the batch; returns how many were new.
pub async fn skip_for_batch(
    tx: &mut PgConnection,
    batch_id: Uuid,
    users: &[Uuid],
) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "WITH skipped AS ( \
           INSERT INTO notification_consent_skips (batch_id, user_id) SELECT $1, unnest($2::uuid[]) \
           ON CONFLICT DO NOTHING RETURNING 1), \
         counted AS (SELECT count(*) AS n FROM skipped) \
         UPDATE notification_batches SET skipped_without_consent = skipped_without_consent + counted.n \
         FROM counted WHERE id = $1 RETURNING counted.n",
    )
    .bind(batch_id)
    .bind(users)
    .fetch_one(tx)
    .await?)
}

/// Creates the batch's notification for each of `users` that does not have it yet and counts
/// the new ones in the batch's progress; returns how many were created.
pub async fn create_for_batch(
    tx: &mut PgConnection,
    batch: &Batch,
    users: &[Uuid],
) -> StoreResult<i64> {
    let ids: Vec<Uuid> = users.iter().map(|_| new_id()).collect();
    Ok(sqlx::query_scalar(
        "WITH created AS ( \
           INSERT INTO notifications (id, user_id, batch_id, channel, subject, body) \
           SELECT n.id, n.user_id, $3, $4, $5, $6 FROM unnest($1::uuid[], $2::uuid[]) AS n (id, user_id) \
           ON CONFLICT (batch_id, user_id) DO NOTHING RETURNING 1), \
         counted AS (SELECT count(*) AS n FROM created) \
         UPDATE notification_batches SET recipients = recipients + counted.n FROM counted \
         WHERE id = $3 RETURNING counted.n",
    )
    .bind(&ids)
    .bind(users)
    .bind(batch.id)
    .bind(batch.channel.as_str())
    .bind(batch.subject.as_deref())
    .bind(&batch.body)
    .fetch_one(tx)
    .await?)
}

pub struct NewNotification<'a> {
    pub user_id: Uuid,
    pub channel: Channel,
    pub subject: Option<&'a str>,
    pub body: &'a str,
}

/// A notification outside any batch (e.g. one written by another pipeline).
pub async fn insert(
    db: impl PgExecutor<'_>,
    notification: NewNotification<'_>,
) -> StoreResult<Notification> {
    Ok(sqlx::query_as(concat!(
        "INSERT INTO notifications (id, user_id, channel, subject, body) VALUES ($1, $2, $3, $4, $5) RETURNING ",
        notification_columns!()
    ))
    .bind(new_id())
    .bind(notification.user_id)
    .bind(notification.channel.as_str())
    .bind(notification.subject)
    .bind(notification.body)
    .fetch_one(db)
    .await?)
}

#[derive(Debug, Default)]
pub struct NotificationFilter {
    pub user_id: Option<Uuid>,
    pub batch_id: Option<Uuid>,
    /// `true`: unread only; `false`: read only.
    pub unread: Option<bool>,
}

/// The filters of [`list`], over binds $1..$3.
macro_rules! notification_filter {
    () => {
        "($1::uuid IS NULL OR user_id = $1) AND ($2::uuid IS NULL OR batch_id = $2) \
         AND ($3::bool IS NULL OR (read_at IS NULL) = $3)"
    };
}

pub async fn list(
    pool: &PgPool,
    filter: &NotificationFilter,
    page: PageRequest,
) -> StoreResult<Page<Notification>> {
    let total: i64 = sqlx::query_scalar(concat!(
        "SELECT count(*) FROM notifications WHERE ",
        notification_filter!()
    ))
    .bind(filter.user_id)
    .bind(filter.batch_id)
    .bind(filter.unread)
    .fetch_one(pool)
    .await?;
    let items = sqlx::query_as(concat!(
        "SELECT ",
        notification_columns!(),
        " FROM notifications WHERE ",
        notification_filter!(),
        " ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5"
    ))
    .bind(filter.user_id)
    .bind(filter.batch_id)
    .bind(filter.unread)
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(pool)
    .await?;
    Ok(Page::new(items, page, total))
}

/// Marks `owner`'s notification read (keeping the first read time) or unread; `None` when no
/// such notification belongs to `owner`.
pub async fn set_read(
    db: impl PgExecutor<'_>,
    id: Uuid,
    owner: Uuid,
    read: bool,
) -> StoreResult<Option<Notification>> {
    Ok(sqlx::query_as(concat!(
        "UPDATE notifications SET read_at = CASE WHEN $3 THEN COALESCE(read_at, now()) END \
         WHERE id = $1 AND user_id = $2 RETURNING ",
        notification_columns!()
    ))
    .bind(id)
    .bind(owner)
    .bind(read)
    .fetch_optional(db)
    .await?)
}
