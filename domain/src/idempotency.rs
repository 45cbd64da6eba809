//! `Idempotency-Key` records: the first successful response to a (user, route, key), replayed to
//! any later request with the same key and body.
//!
//! The row is claimed inside the transaction of the business write and completed before its
//! commit, so a committed key always has its response, and a request that fails leaves no key
//! behind (it changed nothing; a retry runs it again). Concurrent requests with the same key
//! serialise on a transaction-scoped advisory lock: the second one does not wait, it is told the
//! key is in use.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreResult;

/// The longest key accepted (the column's CHECK).
pub const MAX_KEY_CHARS: usize = 255;

/// What a claim found.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// The key is new: run the request, then [`complete`] in the same transaction.
    Fresh,
    /// The key was used with the same request: answer this again.
    Replay {
        status: u16,
        body: serde_json::Value,
    },
    /// The key was used with another request body.
    Reused,
    /// Another request with this key is running right now.
    InFlight,
}

#[derive(sqlx::FromRow)]
struct Stored {
    request_hash: Vec<u8>,
    response_status: Option<i16>,
    response_body: Option<serde_json::Value>,
}

/// Claims `key` for `user_id` on `route` inside `tx`. `request_hash` identifies the request body.
pub async fn claim(
    tx: &mut PgConnection,
    user_id: Uuid,
    route: &str,
    key: &str,
    request_hash: &[u8],
) -> StoreResult<Claim> {
    // A hash collision between two keys only makes one of them wait for a retry.
    let locked: bool = sqlx::query_scalar(
        "SELECT pg_try_advisory_xact_lock(hashtextextended($1::text || '/' || $2 || '/' || $3, 7))",
    )
    .bind(user_id)
    .bind(route)
    .bind(key)
    .fetch_one(&mut *tx)
    .await?;
    if !locked {
        return Ok(Claim::InFlight);
    }
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (user_id, route, key, request_hash) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, route, key) DO NOTHING",
    )
    .bind(user_id)
    .bind(route)
    .bind(key)
    .bind(request_hash)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Claim::Fresh);
    }
    let stored: Stored = sqlx::query_as(
        "SELECT request_hash, response_status, response_body FROM idempotency_keys \
         WHERE user_id = $1 AND route = $2 AND key = $3",
    )
    .bind(user_id)
    .bind(route)
    .bind(key)
    .fetch_one(&mut *tx)
    .await?;
    Ok(match stored {
        Stored {
            request_hash: hash, ..
        } if hash != request_hash => Claim::Reused,
        Stored {
            response_status: Some(status),
            response_body: Some(body),
            ..
        } => Claim::Replay {
            status: u16::try_from(status).unwrap_or(500),
            body,
        },
        // Only reachable if a writer committed a claim without completing it.
        Stored { .. } => Claim::InFlight,
    })
}

/// Stores the response of a [`Claim::Fresh`] key, in the claim's transaction.
pub async fn complete(
    tx: &mut PgConnection,
    user_id: Uuid,
    route: &str,
    key: &str,
    status: u16,
    body: &serde_json::Value,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE idempotency_keys SET response_status = $4, response_body = $5 \
         WHERE user_id = $1 AND route = $2 AND key = $3",
    )
    .bind(user_id)
    .bind(route)
    .bind(key)
    .bind(i16::try_from(status).unwrap_or(500))
    .bind(body)
    .execute(tx)
    .await?;
    Ok(())
}
