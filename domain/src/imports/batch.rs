//! The bookkeeping of one import batch, in the caller's transaction with the batch's merge
//! ([`super::merge`]): its row errors and what it adds to the import's counters.

use sqlx::PgConnection;
use uuid::Uuid;

use super::RowError;
use crate::StoreResult;

/// A valid row of an import file, ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductRow {
    pub line: i64,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price_amount: i64,
    pub currency: String,
    pub stock: i32,
    pub category_id: Option<Uuid>,
    pub color: Option<String>,
    pub size: Option<String>,
    pub variations: serde_json::Value,
    pub features: serde_json::Value,
}

/// Stores row errors while the import holds fewer than `cap`; the rest are only counted.
pub async fn record_errors(
    tx: &mut PgConnection,
    import_id: Uuid,
    errors: &[RowError],
    cap: i64,
) -> StoreResult<()> {
    if errors.is_empty() {
        return Ok(());
    }
    let lines: Vec<i64> = errors.iter().map(|e| e.line).collect();
    let columns: Vec<&str> = errors.iter().map(|e| e.column.as_str()).collect();
    let reasons: Vec<&str> = errors.iter().map(|e| e.reason.as_str()).collect();
    sqlx::query(
        r#"INSERT INTO import_errors (import_id, line, "column", reason)
           SELECT $1, line, col, reason FROM UNNEST($2::bigint[], $3::text[], $4::text[]) AS u(line, col, reason)
           LIMIT GREATEST(0, $5 - (SELECT count(*) FROM import_errors WHERE import_id = $1))"#,
    )
    .bind(import_id)
    .bind(lines)
    .bind(columns)
    .bind(reasons)
    .bind(cap)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// What one batch adds to the import's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// CSV records consumed: the checkpoint a resumed import skips to.
    pub processed: i32,
    pub created: i32,
    pub updated: i32,
    pub failed: i32,
}

pub async fn advance(tx: &mut PgConnection, import_id: Uuid, by: Progress) -> StoreResult<()> {
    sqlx::query(
        "UPDATE imports SET processed = processed + $2, created = created + $3, \
         updated = updated + $4, failed = failed + $5 WHERE id = $1",
    )
    .bind(import_id)
    .bind(by.processed)
    .bind(by.created)
    .bind(by.updated)
    .bind(by.failed)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
