//! Effect-once delivery records for email and SMS: one row per dedupe key, written before the
//! provider is called, marked sent after.

use std::time::Duration;

use sqlx::PgPool;
use uuid::Uuid;

use crate::{StoreResult, new_id};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// Not sent yet: send it, then call [`mark_sent`] or [`mark_unsent`]. The id is stable across
    /// attempts and makes a good provider-side idempotency key (e.g. the email Message-ID).
    Send { delivery_id: Uuid },
    /// A previous attempt completed: nothing to do.
    AlreadySent,
    /// Another run is sending it right now (or was, less than one lease ago): try later.
    InProgress,
}

/// Registers the delivery (once per key) and claims it for sending unless it was sent, or another
/// run claimed it less than `lease` ago (a run that stalls past its lease is stopped).
pub async fn claim(
    pool: &PgPool,
    dedupe_key: &str,
    channel: Channel,
    recipient: &str,
    lease: Duration,
) -> StoreResult<Claim> {
    sqlx::query(
        "INSERT INTO deliveries (id, dedupe_key, channel, recipient) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(new_id())
    .bind(dedupe_key)
    .bind(channel.as_str())
    .bind(recipient)
    .execute(pool)
    .await?;
    let claimed: Option<Uuid> = sqlx::query_scalar(
        "UPDATE deliveries SET status = 'sending', attempts = attempts + 1, updated_at = now() \
         WHERE dedupe_key = $1 AND (status = 'pending' \
           OR (status = 'sending' AND updated_at < now() - make_interval(secs => $2))) RETURNING id",
    )
    .bind(dedupe_key)
    .bind(lease.as_secs_f64())
    .fetch_optional(pool)
    .await?;
    if let Some(delivery_id) = claimed {
        return Ok(Claim::Send { delivery_id });
    }
    let status: String = sqlx::query_scalar("SELECT status FROM deliveries WHERE dedupe_key = $1")
        .bind(dedupe_key)
        .fetch_one(pool)
        .await?;
    Ok(if status == "sent" {
        Claim::AlreadySent
    } else {
        Claim::InProgress
    })
}

pub async fn mark_sent(pool: &PgPool, delivery_id: Uuid, provider_reply: &str) -> StoreResult<()> {
    sqlx::query(
        "UPDATE deliveries SET status = 'sent', sent_at = now(), provider_reply = $2, last_error = NULL, \
         updated_at = now() WHERE id = $1",
    )
    .bind(delivery_id)
    .bind(provider_reply)
    .execute(pool)
    .await?;
    Ok(())
}

/// The provider refused or could not be reached: the message was not accepted, so it may be sent again.
pub async fn mark_unsent(pool: &PgPool, delivery_id: Uuid, error: &str) -> StoreResult<()> {
    sqlx::query("UPDATE deliveries SET status = 'pending', last_error = $2, updated_at = now() WHERE id = $1")
        .bind(delivery_id)
        .bind(error)
        .execute(pool)
        .await?;
    Ok(())
}
