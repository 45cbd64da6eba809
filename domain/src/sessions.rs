//! Refresh tokens: stored as SHA-256 hashes, rotated on every use, revoked by family on reuse.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use crate::{StoreResult, new_id};

/// What a session's token opens: the API (a refresh token, rotated on use) or the web console
/// (a cookie, never rotated). One never stands for the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Api,
    Console,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Api => "api",
            SessionKind::Console => "console",
        }
    }
}

pub async fn insert(
    db: impl PgExecutor<'_>,
    kind: SessionKind,
    user_id: Uuid,
    family_id: Uuid,
    token_hash: &[u8],
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, kind) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id())
    .bind(user_id)
    .bind(family_id)
    .bind(token_hash)
    .bind(expires_at)
    .bind(kind.as_str())
    .execute(db)
    .await?;
    Ok(())
}

#[derive(Debug, PartialEq, Eq)]
pub enum Rotation {
    /// The token was live: it is now spent; issue the next one in the same family.
    Rotated { user_id: Uuid, family_id: Uuid },
    /// A spent token came back: the family is revoked (someone holds a stolen copy).
    Reused,
    /// Unknown, or expired or revoked (then `user_id` names its holder, e.g. to tell a banned
    /// user why).
    Invalid { user_id: Option<Uuid> },
}

#[derive(sqlx::FromRow)]
struct StoredToken {
    user_id: Uuid,
    family_id: Uuid,
    expires_at: DateTime<Utc>,
    rotated_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

/// Spends a refresh token atomically: two concurrent uses of one token cannot both succeed.
pub async fn rotate(pool: &PgPool, token_hash: &[u8]) -> StoreResult<Rotation> {
    let mut tx = pool.begin().await?;
    let token: Option<StoredToken> = sqlx::query_as(
        "SELECT user_id, family_id, expires_at, rotated_at, revoked_at FROM refresh_tokens \
         WHERE token_hash = $1 AND kind = 'api' FOR UPDATE",
    )
    .bind(token_hash)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(StoredToken {
        user_id,
        family_id,
        expires_at,
        rotated_at,
        revoked_at,
    }) = token
    else {
        return Ok(Rotation::Invalid { user_id: None });
    };
    if revoked_at.is_some() || expires_at <= Utc::now() {
        return Ok(Rotation::Invalid {
            user_id: Some(user_id),
        });
    }
    if rotated_at.is_some() {
        revoke_family(&mut *tx, family_id).await?;
        tx.commit().await?;
        return Ok(Rotation::Reused);
    }
    sqlx::query("UPDATE refresh_tokens SET rotated_at = now() WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Rotation::Rotated { user_id, family_id })
}

/// The holder of a live console session (neither revoked nor expired) and its id: the web
/// console's cookie, never rotated, is checked this way on every request.
pub async fn console_holder(pool: &PgPool, token_hash: &[u8]) -> StoreResult<Option<(Uuid, Uuid)>> {
    Ok(sqlx::query_as(
        "SELECT user_id, family_id FROM refresh_tokens WHERE token_hash = $1 \
           AND kind = 'console' AND rotated_at IS NULL AND revoked_at IS NULL \
           AND expires_at > now()",
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await?)
}

/// Whether session `family_id` was ended: logged out, revoked for a reused token, or by a
/// ban or password reset. Rotation alone never ends it.
pub async fn ended(pool: &PgPool, family_id: Uuid) -> StoreResult<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM refresh_tokens \
                        WHERE family_id = $1 AND revoked_at IS NOT NULL)",
    )
    .bind(family_id)
    .fetch_one(pool)
    .await?)
}

pub async fn revoke_family(db: impl PgExecutor<'_>, family_id: Uuid) -> StoreResult<()> {
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL",
    )
    .bind(family_id)
    .execute(db)
    .await?;
    Ok(())
}

/// Logout: the presented token's whole family dies (that session is over). Returns false when the
/// token does not belong to `user_id`.
pub async fn revoke_session(pool: &PgPool, user_id: Uuid, token_hash: &[u8]) -> StoreResult<bool> {
    let result = sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE revoked_at IS NULL AND family_id = \
         (SELECT family_id FROM refresh_tokens WHERE token_hash = $1 AND user_id = $2)",
    )
    .bind(token_hash)
    .bind(user_id)
    .execute(pool)
    .await?;
    Ok(result.rows_affected() > 0)
}

/// Ends every session of a user (on ban).
pub async fn revoke_all(db: impl PgExecutor<'_>, user_id: Uuid) -> StoreResult<()> {
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user_id)
    .execute(db)
    .await?;
    Ok(())
}
