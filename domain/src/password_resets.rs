//! Single-use password-reset tokens, handed out when a reset code is verified and stored only
//! as their SHA-256.

use sqlx::PgExecutor;
use uuid::Uuid;

use crate::{StoreResult, new_id};

/// Records a token (by its hash) for `user_id`, valid `ttl_secs`.
pub async fn insert(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    token_hash: &[u8],
    ttl_secs: u64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO password_reset_tokens (id, user_id, token_hash, expires_at) \
         VALUES ($1, $2, $3, now() + make_interval(secs => $4))",
    )
    .bind(new_id())
    .bind(user_id)
    .bind(token_hash)
    .bind(ttl_secs as f64)
    .execute(db)
    .await?;
    Ok(())
}

/// Uses up a live token; the user it belongs to, or `None` for an unknown, used or expired one.
pub async fn redeem(db: impl PgExecutor<'_>, token_hash: &[u8]) -> StoreResult<Option<Uuid>> {
    Ok(sqlx::query_scalar(
        "UPDATE password_reset_tokens SET used_at = now() \
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING user_id",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await?)
}
