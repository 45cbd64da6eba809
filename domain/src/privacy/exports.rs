//! Data exports: a user's request for everything held about them, made into a ZIP by a worker,
//! kept `privacy.export_ttl_secs` behind a signed link, then purged (the row stays, `expired`).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

use crate::config::Secret;
use crate::report_links;
use crate::{StoreResult, new_id};

/// The subject of export download links (see `report_links`).
pub const LINK_SUBJECT: &str = "data_export";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DataExport {
    pub id: Uuid,
    pub user_id: Uuid,
    /// `queued`, `running`, `succeeded`, `failed` or `expired`.
    pub status: String,
    pub file_key: Option<String>,
    pub file_size: Option<i64>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
}

macro_rules! export_columns {
    () => {
        "id, user_id, status, file_key, file_size, error, created_at, finished_at, expires_at"
    };
}

impl DataExport {
    /// The signed download link of a finished export (its path) and when it stops working:
    /// when the file is purged. `None` when there is no file (yet, or any more).
    pub fn link(&self, secret: &Secret, now: DateTime<Utc>) -> Option<(String, DateTime<Utc>)> {
        self.file_key.as_ref()?;
        let expires = self.expires_at.filter(|expires| *expires > now)?;
        let token = report_links::sign_for(secret, LINK_SUBJECT, self.id, self.user_id, expires);
        Some((
            format!("/v1/me/data-exports/{}/download?token={token}", self.id),
            expires,
        ))
    }

    /// The name the ZIP is downloaded under.
    pub fn file_name(&self) -> String {
        format!("personal-data-{}.zip", self.created_at.format("%Y-%m-%d"))
    }
}

/// What asking for an export did.
pub enum Requested {
    /// A new export, to be queued in the same transaction.
    New(DataExport),
    /// One is queued or running already: that one answers.
    InProgress(DataExport),
    /// The user asked for `exports_per_day` in the last 24 hours; the oldest of them leaves the
    /// window at `retry_at`.
    TooMany { retry_at: DateTime<Utc> },
}

/// Records a request for `user_id`'s data, unless one is in progress or the day's budget is
/// spent. The user's row is locked so two requests at once make one export.
pub async fn request(tx: &mut PgConnection, user_id: Uuid, per_day: u32) -> StoreResult<Requested> {
    sqlx::query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let pending: Option<DataExport> = sqlx::query_as(concat!(
        "SELECT ",
        export_columns!(),
        " FROM data_exports WHERE user_id = $1 AND status IN ('queued', 'running') \
          ORDER BY created_at DESC LIMIT 1"
    ))
    .bind(user_id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(pending) = pending {
        return Ok(Requested::InProgress(pending));
    }
    let recent: Vec<DateTime<Utc>> = sqlx::query_scalar(
        "SELECT created_at FROM data_exports \
         WHERE user_id = $1 AND created_at > now() - interval '24 hours' \
         ORDER BY created_at",
    )
    .bind(user_id)
    .fetch_all(&mut *tx)
    .await?;
    if recent.len() >= per_day as usize {
        let oldest = recent.first().copied().unwrap_or_else(Utc::now);
        return Ok(Requested::TooMany {
            retry_at: oldest + chrono::Duration::hours(24),
        });
    }
    let export = sqlx::query_as(concat!(
        "INSERT INTO data_exports (id, user_id) VALUES ($1, $2) RETURNING ",
        export_columns!()
    ))
    .bind(new_id())
    .bind(user_id)
    .fetch_one(&mut *tx)
    .await?;
    Ok(Requested::New(export))
}

pub async fn set_job(tx: &mut PgConnection, id: Uuid, job_id: Uuid) -> StoreResult<()> {
    sqlx::query("UPDATE data_exports SET job_id = $2 WHERE id = $1")
        .bind(id)
        .bind(job_id)
        .execute(tx)
        .await?;
    Ok(())
}

/// The export, if it is `user_id`'s.
pub async fn find(
    db: impl PgExecutor<'_>,
    id: Uuid,
    user_id: Uuid,
) -> StoreResult<Option<DataExport>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        export_columns!(),
        " FROM data_exports WHERE id = $1 AND user_id = $2"
    ))
    .bind(id)
    .bind(user_id)
    .fetch_optional(db)
    .await?)
}

/// Marks the export running and returns it; `None` when it is gone or finished (a redelivered
/// job has nothing to do). A run that died half-way starts over.
pub async fn start(pool: &PgPool, id: Uuid) -> StoreResult<Option<DataExport>> {
    Ok(sqlx::query_as(concat!(
        "UPDATE data_exports SET status = 'running', started_at = now(), error = NULL \
         WHERE id = $1 AND status IN ('queued', 'running') RETURNING ",
        export_columns!()
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?)
}

/// Records the stored ZIP; it and its link expire `ttl_secs` from now. `None` if the export
/// was finished meanwhile (another run of the job got there first).
pub async fn succeed(
    tx: &mut PgConnection,
    id: Uuid,
    key: &str,
    size: i64,
    ttl_secs: u64,
) -> StoreResult<Option<DataExport>> {
    Ok(sqlx::query_as(concat!(
        "UPDATE data_exports SET status = 'succeeded', file_key = $2, file_size = $3, \
           finished_at = now(), expires_at = date_trunc('second', now() + make_interval(secs => $4)) \
         WHERE id = $1 AND status = 'running' RETURNING ",
        export_columns!()
    ))
    .bind(id)
    .bind(key)
    .bind(size)
    .bind(ttl_secs as f64)
    .fetch_optional(tx)
    .await?)
}

/// Whether the export is still recorded (an erasure deletes it).
pub async fn exists(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<bool> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM data_exports WHERE id = $1)")
            .bind(id)
            .fetch_one(db)
            .await?,
    )
}

pub async fn fail(pool: &PgPool, id: Uuid, error: &str) -> StoreResult<()> {
    sqlx::query(
        "UPDATE data_exports SET status = 'failed', error = $2, finished_at = now() \
         WHERE id = $1 AND status IN ('queued', 'running')",
    )
    .bind(id)
    .bind(error)
    .execute(pool)
    .await?;
    Ok(())
}

/// Up to `limit` exports whose file is past its expiry: (id, file key).
pub async fn expired(pool: &PgPool, limit: i64) -> StoreResult<Vec<(Uuid, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, file_key FROM data_exports \
         WHERE file_key IS NOT NULL AND expires_at <= now() ORDER BY expires_at LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// Records that these exports' files are deleted.
pub async fn mark_expired(pool: &PgPool, ids: &[Uuid]) -> StoreResult<u64> {
    Ok(sqlx::query(
        "UPDATE data_exports SET status = 'expired', file_key = NULL WHERE id = ANY($1)",
    )
    .bind(ids)
    .execute(pool)
    .await?
    .rows_affected())
}
