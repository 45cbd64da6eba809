//! Bulk imports: the import record users poll, its row errors, and the per-batch writes the
//! worker commits together: rows loaded by COPY ([`staging`]), merged set-wise into the
//! catalogue ([`merge`]), with their errors and counters ([`batch`]).

pub mod batch;
pub mod merge;
pub mod staging;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

use crate::StoreResult;

macro_rules! import_columns {
    () => {
        "id, shop_id, requested_by, status, dry_run, currency, csv_key, images_key, total_rows, \
         processed, created, updated, failed, error, created_at, started_at, finished_at"
    };
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Import {
    pub id: Uuid,
    pub shop_id: Uuid,
    pub requested_by: Uuid,
    pub status: String,
    pub dry_run: bool,
    pub currency: String,
    pub csv_key: String,
    pub images_key: Option<String>,
    pub total_rows: i32,
    pub processed: i32,
    pub created: i32,
    pub updated: i32,
    pub failed: i32,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl Import {
    pub fn is_finished(&self) -> bool {
        matches!(self.status.as_str(), "succeeded" | "failed" | "cancelled")
    }
}

pub struct NewImport<'a> {
    pub id: Uuid,
    pub shop_id: Uuid,
    pub requested_by: Uuid,
    pub dry_run: bool,
    pub currency: &'a str,
    pub csv_key: &'a str,
    pub images_key: Option<&'a str>,
    pub job_id: Uuid,
}

pub async fn insert(db: impl PgExecutor<'_>, new: NewImport<'_>) -> StoreResult<Import> {
    Ok(sqlx::query_as(concat!(
        "INSERT INTO imports (id, shop_id, requested_by, dry_run, currency, csv_key, images_key, job_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ",
        import_columns!()
    ))
    .bind(new.id)
    .bind(new.shop_id)
    .bind(new.requested_by)
    .bind(new.dry_run)
    .bind(new.currency)
    .bind(new.csv_key)
    .bind(new.images_key)
    .bind(new.job_id)
    .fetch_one(db)
    .await?)
}

pub async fn find(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<Option<Import>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        import_columns!(),
        " FROM imports WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// Marks the import running (again, after a crash) and returns it; `None` if it is gone.
pub async fn start(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<Option<Import>> {
    Ok(sqlx::query_as(concat!(
        "UPDATE imports SET status = CASE WHEN status = 'queued' THEN 'running' ELSE status END, \
         started_at = COALESCE(started_at, now()) WHERE id = $1 RETURNING ",
        import_columns!()
    ))
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// The number of CSV records, counted before the rows are processed so progress has a total.
pub async fn set_total_rows(db: impl PgExecutor<'_>, id: Uuid, total: i32) -> StoreResult<()> {
    sqlx::query("UPDATE imports SET total_rows = $2 WHERE id = $1")
        .bind(id)
        .bind(total)
        .execute(db)
        .await?;
    Ok(())
}

/// Ends the import: `error` set means it failed as a whole (e.g. a zip bomb). Its SKU
/// bookkeeping is no longer needed.
pub async fn finish(tx: &mut PgConnection, id: Uuid, error: Option<&str>) -> StoreResult<()> {
    sqlx::query(
        "UPDATE imports SET status = CASE WHEN $2::text IS NULL THEN 'succeeded' ELSE 'failed' END, \
         error = $2, finished_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(error)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM import_skus WHERE import_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// One failed row (or one problem of a row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub line: i64,
    pub column: String,
    pub reason: String,
}

/// Where a page of row errors ends, to read the next one from.
pub type ErrorCursor = (i64, i64);

/// A page of the import's row errors in file order, after `cursor` (there may be many: callers
/// page through them rather than hold them all).
pub async fn errors_page(
    pool: &PgPool,
    id: Uuid,
    cursor: ErrorCursor,
    limit: i64,
) -> StoreResult<(Vec<RowError>, Option<ErrorCursor>)> {
    let rows: Vec<(i64, i64, String, String)> = sqlx::query_as(
        r#"SELECT line, id, "column", reason FROM import_errors
           WHERE import_id = $1 AND (line, id) > ($2, $3) ORDER BY line, id LIMIT $4"#,
    )
    .bind(id)
    .bind(cursor.0)
    .bind(cursor.1)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|(line, id, _, _)| (*line, *id)))
        .flatten();
    let errors = rows
        .into_iter()
        .map(|(line, _, column, reason)| RowError {
            line,
            column,
            reason,
        })
        .collect();
    Ok((errors, next))
}
