//! Login attempts are counted per (account as typed, client IP) before the password is
//! checked, atomically, so parallel guesses cannot exceed the budget. Past it, that pair is
//! locked, for longer each time (doubling up to the maximum). The owner, from another network,
//! can still sign in; an unknown email is counted and locked exactly like a real one, so the
//! answers tell nothing.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::StoreResult;

/// How attempts are budgeted.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub max_attempts: u32,
    pub first_lockout_secs: u64,
    pub max_lockout_secs: u64,
}

/// Whether a login attempt may check the password.
#[derive(Debug, PartialEq, Eq)]
pub enum LoginGate {
    /// The attempt is counted; `attempt` is its number in the current window (1-based).
    Open {
        attempt: i32,
    },
    Locked {
        until: DateTime<Utc>,
    },
}

/// The key an account is counted under: the email or phone as typed, case-folded.
pub fn account_key(typed: &str) -> String {
    typed.trim().to_lowercase()
}

/// Counts an attempt on `account` from `ip`.
pub async fn open_attempt(
    pool: &PgPool,
    account: &str,
    ip: IpAddr,
    policy: Policy,
) -> StoreResult<LoginGate> {
    let mut tx = pool.begin().await?;
    let (failures, locked_until): (i32, Option<DateTime<Utc>>) = sqlx::query_as(
        "INSERT INTO login_failures (account, client_ip, failures) VALUES ($1, $2::inet, 1) \
         ON CONFLICT (account, client_ip) DO UPDATE SET \
           failures = CASE WHEN login_failures.locked_until > now() THEN login_failures.failures \
                           ELSE login_failures.failures + 1 END, \
           updated_at = now() \
         RETURNING failures, locked_until",
    )
    .bind(account)
    .bind(ip.to_string())
    .fetch_one(&mut *tx)
    .await?;
    let gate = match locked_until.filter(|until| *until > Utc::now()) {
        Some(until) => LoginGate::Locked { until },
        None if failures > i32::try_from(policy.max_attempts).unwrap_or(i32::MAX) => {
            LoginGate::Locked {
                until: lock(&mut tx, account, ip, policy).await?,
            }
        }
        None => LoginGate::Open { attempt: failures },
    };
    tx.commit().await?;
    Ok(gate)
}

/// Locks `account` for `ip` (its last allowed attempt failed); returns until when.
pub async fn lock(
    db: &mut PgConnection,
    account: &str,
    ip: IpAddr,
    policy: Policy,
) -> StoreResult<DateTime<Utc>> {
    Ok(sqlx::query_scalar(
        "UPDATE login_failures SET failures = 0, lockouts = lockouts + 1, updated_at = now(), \
           locked_until = now() + make_interval(secs => \
             least($3 * power(2, least(lockouts, 20)), $4)) \
         WHERE account = $1 AND client_ip = $2::inet RETURNING locked_until",
    )
    .bind(account)
    .bind(ip.to_string())
    .bind(policy.first_lockout_secs as f64)
    .bind(policy.max_lockout_secs as f64)
    .fetch_one(db)
    .await?)
}

/// A successful login forgets the pair's failures (a lock set meanwhile by a parallel
/// attempt stays).
pub async fn forget(pool: &PgPool, account: &str, ip: IpAddr) -> StoreResult<()> {
    sqlx::query(
        "DELETE FROM login_failures WHERE account = $1 AND client_ip = $2::inet \
           AND (locked_until IS NULL OR locked_until <= now())",
    )
    .bind(account)
    .bind(ip.to_string())
    .execute(pool)
    .await?;
    Ok(())
}

/// A new password lifts every lock on the accounts `keys` name.
pub async fn clear(db: &mut PgConnection, keys: &[String]) -> StoreResult<()> {
    sqlx::query("DELETE FROM login_failures WHERE account = ANY($1)")
        .bind(keys)
        .execute(db)
        .await?;
    Ok(())
}
