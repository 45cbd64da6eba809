//! Delivery reports: they arrive out of order, so a message's status only moves forward and a
//! final status is never replaced. A report can also overtake our record of the provider's
//! message id (the provider answers the worker and reports within milliseconds); such a report
//! is held briefly and applied when the id is recorded.

use sqlx::PgConnection;

use crate::StoreResult;

/// Where a delivery report can take a message: forward only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Sent,
    Delivered,
    Undelivered,
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Undelivered => "undelivered",
            Self::Failed => "failed",
        }
    }
}

/// What became of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reported {
    /// The message is ours: moved forward, or already further along.
    Applied,
    /// No message has this id yet: held until its send is recorded.
    Held,
    /// No message has this id and the holding room is full.
    Ignored,
}

/// Reports held for ids not recorded yet are forgotten after an hour, and at most this many
/// are held: Africa's Talking's reports are not signed, so anyone can send them.
const MAX_HELD: i64 = 10_000;

/// Serialises, until the transaction ends, a report with the recording of its message's id:
/// otherwise a report could miss the id being committed and be held after the held reports
/// were applied, forever.
async fn lock_id(
    db: &mut PgConnection,
    provider: &str,
    provider_message_id: &str,
) -> StoreResult<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('sms-report:' || $1 || ':' || $2))")
        .bind(provider)
        .bind(provider_message_id)
        .execute(db)
        .await?;
    Ok(())
}

/// Applies a report to the message the provider knows as `provider_message_id`. Run it in a
/// transaction.
pub async fn report(
    db: &mut PgConnection,
    provider: &str,
    provider_message_id: &str,
    status: DeliveryStatus,
    error: Option<&str>,
) -> StoreResult<Reported> {
    lock_id(db, provider, provider_message_id).await?;
    let known: bool = sqlx::query_scalar(
        "WITH moved AS (
           UPDATE sms_messages SET status = $3, error = COALESCE($4, error), updated_at = now()
           WHERE provider = $1 AND provider_message_id = $2
             AND (status IN ('queued', 'sending', 'unknown') OR (status = 'sent' AND $3 <> 'sent'))
           RETURNING id)
         SELECT EXISTS (SELECT 1 FROM moved) OR EXISTS (
           SELECT 1 FROM sms_messages WHERE provider = $1 AND provider_message_id = $2)",
    )
    .bind(provider)
    .bind(provider_message_id)
    .bind(status.as_str())
    .bind(error)
    .fetch_one(&mut *db)
    .await?;
    if known {
        return Ok(Reported::Applied);
    }
    let held = sqlx::query(
        "WITH forgotten AS (
           DELETE FROM sms_early_reports WHERE received_at < now() - interval '1 hour')
         INSERT INTO sms_early_reports (provider, provider_message_id, status, error)
         SELECT $1, $2, $3, $4 WHERE (SELECT count(*) FROM sms_early_reports) < $5
         ON CONFLICT DO NOTHING",
    )
    .bind(provider)
    .bind(provider_message_id)
    .bind(status.as_str())
    .bind(error)
    .bind(MAX_HELD)
    .execute(&mut *db)
    .await?;
    Ok(if held.rows_affected() > 0 {
        Reported::Held
    } else {
        Reported::Ignored
    })
}

/// Applies the reports held for a message whose id was just recorded (in this transaction),
/// `sent` before the final ones, and forgets them.
pub(super) async fn apply_held(
    db: &mut PgConnection,
    provider: &str,
    provider_message_id: &str,
) -> StoreResult<()> {
    lock_id(db, provider, provider_message_id).await?;
    let held: Vec<(String, Option<String>)> = sqlx::query_as(
        "DELETE FROM sms_early_reports WHERE provider = $1 AND provider_message_id = $2 \
         RETURNING status, error",
    )
    .bind(provider)
    .bind(provider_message_id)
    .fetch_all(&mut *db)
    .await?;
    let mut held: Vec<(DeliveryStatus, Option<String>)> = held
        .into_iter()
        .filter_map(|(status, error)| parse(&status).map(|status| (status, error)))
        .collect();
    held.sort_by_key(|(status, _)| *status != DeliveryStatus::Sent);
    for (status, error) in held {
        report(db, provider, provider_message_id, status, error.as_deref()).await?;
    }
    Ok(())
}

fn parse(status: &str) -> Option<DeliveryStatus> {
    [
        DeliveryStatus::Sent,
        DeliveryStatus::Delivered,
        DeliveryStatus::Undelivered,
        DeliveryStatus::Failed,
    ]
    .into_iter()
    .find(|known| known.as_str() == status)
}
