//! The `sms_messages` rows: created with their job, marked `sending` before the provider call
//! (so an interrupted call is never repeated), settled by the provider's answer, and moved
//! forward only by delivery reports.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::StoreResult;
use crate::pagination::{Page, PageRequest};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsPurpose {
    OtpRegistration,
    OtpLogin,
    OtpPasswordReset,
    Notification,
    OrderStatus,
}

impl SmsPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OtpRegistration => "otp_registration",
            Self::OtpLogin => "otp_login",
            Self::OtpPasswordReset => "otp_password_reset",
            Self::Notification => "notification",
            Self::OrderStatus => "order_status",
        }
    }
}

/// A message to record with its job.
pub struct NewSms<'a> {
    pub to_phone: &'a str,
    pub purpose: SmsPurpose,
    pub user_id: Option<Uuid>,
    pub otp_id: Option<Uuid>,
    /// `None` for a code: the worker writes the text, which is never stored.
    pub body: Option<&'a str>,
    /// At most one message per key (a notification's recipient, an order's status).
    pub dedupe_key: Option<&'a str>,
}

/// Records the message; `None` when its dedupe key was used before.
pub async fn insert(db: impl PgExecutor<'_>, sms: NewSms<'_>) -> StoreResult<Option<Uuid>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO sms_messages (id, to_phone, purpose, user_id, otp_id, body, dedupe_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
    )
    .bind(Uuid::now_v7())
    .bind(sms.to_phone)
    .bind(sms.purpose.as_str())
    .bind(sms.user_id)
    .bind(sms.otp_id)
    .bind(sms.body)
    .bind(sms.dedupe_key)
    .fetch_optional(db)
    .await?)
}

/// A message about to be handed to a provider.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Outgoing {
    pub id: Uuid,
    pub to_phone: String,
    pub purpose: String,
    pub otp_id: Option<Uuid>,
    pub body: Option<String>,
    pub transient_failures: i32,
    /// The recipient's language, for the texts the worker writes (codes).
    pub locale: Option<String>,
}

/// What a send job finds.
pub enum Claim {
    /// Now `sending` through `provider`: call it.
    Send(Outgoing),
    /// Found `sending`: an earlier run died during the provider call, which may have gone
    /// through. Now `unknown`; never sent again.
    Interrupted,
    /// Already settled (a redelivered job).
    Settled,
}

/// Marks a queued message `sending` through `provider`, before the call.
pub async fn claim(db: &mut PgConnection, id: Uuid, provider: &str) -> StoreResult<Claim> {
    let claimed: Option<Outgoing> = sqlx::query_as(
        "UPDATE sms_messages SET status = 'sending', provider = $2, updated_at = now() \
         WHERE id = $1 AND status = 'queued' \
         RETURNING id, to_phone, purpose, otp_id, body, transient_failures, \
           (SELECT locale FROM users WHERE users.id = sms_messages.user_id) AS locale",
    )
    .bind(id)
    .bind(provider)
    .fetch_optional(&mut *db)
    .await?;
    if let Some(outgoing) = claimed {
        return Ok(Claim::Send(outgoing));
    }
    let interrupted = sqlx::query(
        "UPDATE sms_messages SET status = 'unknown', \
           error = 'interrupted during the provider call: not sent again', updated_at = now() \
         WHERE id = $1 AND status = 'sending'",
    )
    .bind(id)
    .execute(db)
    .await?;
    Ok(if interrupted.rows_affected() == 1 {
        Claim::Interrupted
    } else {
        Claim::Settled
    })
}

/// What routing needs: the destination and the transient failures so far (after enough of
/// them a message goes to the fallback provider).
pub async fn routing(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<Option<(String, i32)>> {
    Ok(
        sqlx::query_as("SELECT to_phone, transient_failures FROM sms_messages WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?,
    )
}

/// Ends a message being sent in a final `status` (`unknown` or `failed`) with `error`.
async fn settle_sending(
    db: impl PgExecutor<'_>,
    id: Uuid,
    status: &str,
    error: &str,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE sms_messages SET status = $2, error = $3, updated_at = now() \
         WHERE id = $1 AND status = 'sending'",
    )
    .bind(id)
    .bind(status)
    .bind(error)
    .execute(db)
    .await?;
    Ok(())
}

/// The provider may have sent it: it is never sent again.
pub async fn mark_unknown(db: impl PgExecutor<'_>, id: Uuid, error: &str) -> StoreResult<()> {
    settle_sending(db, id, "unknown", error).await
}

/// The provider took it.
pub async fn mark_sent(
    db: &mut PgConnection,
    id: Uuid,
    provider_message_id: &str,
) -> StoreResult<()> {
    let provider: Option<String> = sqlx::query_scalar(
        "UPDATE sms_messages SET status = 'sent', provider_message_id = $2, sent_at = now(), \
           error = NULL, updated_at = now() WHERE id = $1 AND status = 'sending' \
         RETURNING provider",
    )
    .bind(id)
    .bind(provider_message_id)
    .fetch_optional(&mut *db)
    .await?;
    if let Some(provider) = provider {
        super::reports::apply_held(db, &provider, provider_message_id).await?;
    }
    Ok(())
}

/// The provider refused it for good (an invalid number, a blocked recipient).
pub async fn mark_failed(db: impl PgExecutor<'_>, id: Uuid, error: &str) -> StoreResult<()> {
    settle_sending(db, id, "failed", error).await
}

/// The provider did not take it and said so (429, 5xx): queued again for the job's retry.
pub async fn requeue(db: impl PgExecutor<'_>, id: Uuid, error: &str) -> StoreResult<()> {
    sqlx::query(
        "UPDATE sms_messages SET status = 'queued', error = $2, \
           transient_failures = transient_failures + 1, updated_at = now() \
         WHERE id = $1 AND status = 'sending'",
    )
    .bind(id)
    .bind(error)
    .execute(db)
    .await?;
    Ok(())
}

/// A message as admins list it: no body for codes.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SmsView {
    pub id: Uuid,
    pub to: String,
    pub purpose: String,
    pub provider: Option<String>,
    pub provider_message_id: Option<String>,
    pub status: String,
    pub error: Option<String>,
    /// The text of notifications and order messages; never present for a code.
    pub body: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Filters of the admin list.
#[derive(Debug, Clone, Default)]
pub struct SmsFilter {
    pub to: Option<String>,
    pub status: Option<String>,
}

/// One page of messages, newest first.
pub async fn list(
    db: impl PgExecutor<'_> + Copy,
    filter: &SmsFilter,
    page: PageRequest,
) -> StoreResult<Page<SmsView>> {
    let items: Vec<SmsView> = sqlx::query_as(
        "SELECT id, to_phone AS to, purpose, provider, provider_message_id, \
           CASE status WHEN 'sending' THEN 'queued' ELSE status END AS status, error, \
           CASE WHEN purpose LIKE 'otp\\_%' THEN NULL ELSE body END AS body, created_at, updated_at \
         FROM sms_messages WHERE ($1::text IS NULL OR to_phone = $1) \
           AND ($2::text IS NULL OR status = $2 OR ($2 = 'queued' AND status = 'sending')) \
         ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4",
    )
    .bind(filter.to.as_deref())
    .bind(filter.status.as_deref())
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(db)
    .await?;
    let total: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sms_messages WHERE ($1::text IS NULL OR to_phone = $1) \
           AND ($2::text IS NULL OR status = $2 OR ($2 = 'queued' AND status = 'sending'))",
    )
    .bind(filter.to.as_deref())
    .bind(filter.status.as_deref())
    .fetch_one(db)
    .await?;
    Ok(Page::new(items, page, total))
}
