//! Imports and reports not finished yet, with how far along each one is (the console's
//! progress bars).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::StoreResult;

/// An import or a report still `queued` or `running`.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct WorkInProgress {
    /// `import` or `report`.
    pub work: String,
    pub id: Uuid,
    /// What it is: the report's type and format, or the import's shop and whether it is a dry run.
    pub label: String,
    pub status: String,
    /// 0 to 100.
    pub percent: i32,
    /// Rows done and rows in all, when known.
    pub done: Option<i64>,
    pub total: Option<i64>,
    pub job_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
}

/// The newest `limit` unfinished imports and reports, running ones first. Both tables keep a
/// partial index of their unfinished rows, so this does not read their history.
pub async fn list(pool: &PgPool, limit: i64) -> StoreResult<Vec<WorkInProgress>> {
    Ok(sqlx::query_as(
        "SELECT * FROM ( \
         (SELECT 'import'::text AS work, id, \
            'shop ' || shop_id::text || CASE WHEN dry_run THEN ' (dry run)' ELSE '' END AS label, \
            status, \
            CASE WHEN total_rows > 0 THEN least(100, processed * 100 / total_rows) ELSE 0 END \
              AS percent, \
            processed::bigint AS done, NULLIF(total_rows, 0)::bigint AS total, job_id, \
            created_at, started_at \
          FROM imports WHERE status IN ('queued', 'running') ORDER BY created_at DESC LIMIT $1) \
         UNION ALL \
         (SELECT 'report', id, report_type || ' (' || format || ')', status, progress, \
            NULL, NULL, job_id, created_at, started_at \
          FROM reports WHERE status IN ('queued', 'running') ORDER BY created_at DESC LIMIT $1) \
         ) AS unfinished ORDER BY status = 'running' DESC, created_at DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?)
}
