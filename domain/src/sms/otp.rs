//! One-time codes: the send limits (the same for every phone, known or not, so that they reveal
//! nothing), the one live code per phone and purpose, and its verification.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreResult;
use crate::config::OtpSettings;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpPurpose {
    Registration,
    Login,
    PasswordReset,
}

impl OtpPurpose {
    pub const ALL: [Self; 3] = [Self::Registration, Self::Login, Self::PasswordReset];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registration => "registration",
            Self::Login => "login",
            Self::PasswordReset => "password_reset",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == value)
    }
}

/// Why a send is refused for now, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendLimit {
    Cooldown { retry_after_secs: u64 },
    PhoneHourlyCap { retry_after_secs: u64 },
    IpHourlyCap { retry_after_secs: u64 },
}

/// Checks the cooldown and the hourly caps for a send to `phone` from `ip` and, when none is
/// hit, counts this send. Every request is counted the same way whether or not an SMS goes out.
pub async fn admit_send(
    tx: &mut PgConnection,
    settings: &OtpSettings,
    phone: &str,
    purpose: OtpPurpose,
    ip: Option<IpAddr>,
) -> StoreResult<Result<(), SendLimit>> {
    // Serialises the sends of one phone, so that two at once cannot both pass the cooldown.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('otp:' || $1))")
        .bind(phone)
        .execute(&mut *tx)
        .await?;
    let (last_same, phone_hour, oldest_phone): (Option<DateTime<Utc>>, i64, Option<DateTime<Utc>>) =
        sqlx::query_as(
            "SELECT max(sent_at) FILTER (WHERE purpose = $2), count(*) \
               FILTER (WHERE sent_at > now() - interval '1 hour'), \
               min(sent_at) FILTER (WHERE sent_at > now() - interval '1 hour') \
             FROM otp_sends WHERE phone = $1 AND sent_at > now() - interval '1 hour'",
        )
        .bind(phone)
        .bind(purpose.as_str())
        .fetch_one(&mut *tx)
        .await?;
    let now = Utc::now();
    let remaining = |since: DateTime<Utc>, window: u64| {
        let elapsed = (now - since).num_seconds().max(0) as u64;
        window.saturating_sub(elapsed).max(1)
    };
    if let Some(last) = last_same
        && (now - last).num_seconds() < settings.cooldown_secs as i64
    {
        return Ok(Err(SendLimit::Cooldown {
            retry_after_secs: remaining(last, settings.cooldown_secs),
        }));
    }
    if phone_hour >= i64::from(settings.max_sends_per_hour) {
        return Ok(Err(SendLimit::PhoneHourlyCap {
            retry_after_secs: remaining(oldest_phone.unwrap_or(now), 3600),
        }));
    }
    let ip = ip.map(|ip| ip.to_string());
    if let Some(ip) = &ip {
        let (ip_hour, oldest_ip): (i64, Option<DateTime<Utc>>) = sqlx::query_as(
            "SELECT count(*), min(sent_at) FROM otp_sends \
             WHERE client_ip = $1::inet AND sent_at > now() - interval '1 hour'",
        )
        .bind(ip)
        .fetch_one(&mut *tx)
        .await?;
        if ip_hour >= i64::from(settings.max_sends_per_ip_per_hour) {
            return Ok(Err(SendLimit::IpHourlyCap {
                retry_after_secs: remaining(oldest_ip.unwrap_or(now), 3600),
            }));
        }
    }
    sqlx::query("INSERT INTO otp_sends (phone, purpose, client_ip) VALUES ($1, $2, $3::inet)")
        .bind(phone)
        .bind(purpose.as_str())
        .bind(ip)
        .execute(&mut *tx)
        .await?;
    Ok(Ok(()))
}

/// The live code for `phone` and `purpose`, renewed for a new send: a fresh row, or the live
/// one with its code cleared (the worker draws the new one) and its failures kept. `None` when
/// the live code is dead from wrong guesses: no new code until it expires.
pub async fn renew(
    tx: &mut PgConnection,
    settings: &OtpSettings,
    phone: &str,
    purpose: OtpPurpose,
) -> StoreResult<Option<Uuid>> {
    // An expired code is over: its row leaves the live index.
    sqlx::query(
        "UPDATE otp_codes SET consumed_at = now() WHERE phone = $1 AND purpose = $2 \
           AND consumed_at IS NULL AND expires_at <= now()",
    )
    .bind(phone)
    .bind(purpose.as_str())
    .execute(&mut *tx)
    .await?;
    let ttl = settings.ttl_secs as f64;
    let id: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO otp_codes (id, phone, purpose, expires_at) \
         VALUES ($1, $2, $3, now() + make_interval(secs => $4)) \
         ON CONFLICT (phone, purpose) WHERE consumed_at IS NULL DO UPDATE \
           SET code_hash = NULL, sends = otp_codes.sends + 1, last_sent_at = now(), \
               expires_at = now() + make_interval(secs => $4) \
           WHERE otp_codes.attempts < $5 \
         RETURNING id",
    )
    .bind(Uuid::now_v7())
    .bind(phone)
    .bind(purpose.as_str())
    .bind(ttl)
    .bind(settings.max_attempts as i32)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(id)
}

/// Records the digest of the code the worker drew for a live code.
pub async fn set_digest(db: &mut PgConnection, otp_id: Uuid, digest: &[u8]) -> StoreResult<bool> {
    let updated =
        sqlx::query("UPDATE otp_codes SET code_hash = $2 WHERE id = $1 AND consumed_at IS NULL")
            .bind(otp_id)
            .bind(digest)
            .execute(db)
            .await?;
    Ok(updated.rows_affected() == 1)
}

/// The live code, locked, as verification needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LiveCode {
    pub id: Uuid,
    pub code_hash: Option<Vec<u8>>,
    pub attempts: i32,
    pub expires_at: DateTime<Utc>,
}

pub async fn lock_live(
    tx: &mut PgConnection,
    phone: &str,
    purpose: OtpPurpose,
) -> StoreResult<Option<LiveCode>> {
    Ok(sqlx::query_as(
        "SELECT id, code_hash, attempts, expires_at FROM otp_codes \
         WHERE phone = $1 AND purpose = $2 AND consumed_at IS NULL FOR UPDATE",
    )
    .bind(phone)
    .bind(purpose.as_str())
    .fetch_optional(tx)
    .await?)
}

/// Counts a wrong guess; returns the failures so far.
pub async fn count_failure(tx: &mut PgConnection, id: Uuid) -> StoreResult<i32> {
    Ok(sqlx::query_scalar(
        "UPDATE otp_codes SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts",
    )
    .bind(id)
    .fetch_one(tx)
    .await?)
}

/// The code was right: it is used up.
pub async fn consume(tx: &mut PgConnection, id: Uuid) -> StoreResult<()> {
    sqlx::query("UPDATE otp_codes SET consumed_at = now() WHERE id = $1")
        .bind(id)
        .execute(tx)
        .await?;
    Ok(())
}
