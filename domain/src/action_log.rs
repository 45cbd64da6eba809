//! The audit trail of admin and seller writes.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use crate::pagination::{Page, PageRequest};
use crate::{StoreResult, new_id};

pub struct Action<'a> {
    pub actor_id: Uuid,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: Uuid,
    pub meta: serde_json::Value,
}

/// Records an action; call it in the same transaction as the write it describes.
pub async fn record(db: impl PgExecutor<'_>, action: Action<'_>) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO action_logs (id, actor_id, action, target_type, target_id, meta) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id())
    .bind(action.actor_id)
    .bind(action.action)
    .bind(action.target_type)
    .bind(action.target_id)
    .bind(action.meta)
    .execute(db)
    .await?;
    Ok(())
}

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct ActionLogEntry {
    pub id: Uuid,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<Uuid>,
    pub meta: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Default)]
pub struct ActionLogFilter {
    pub actor_id: Option<Uuid>,
    pub action: Option<String>,
    pub target_id: Option<Uuid>,
}

/// The filters of [`list`], over binds $1..$3.
macro_rules! action_filter {
    () => {
        "($1::uuid IS NULL OR actor_id = $1) AND ($2::text IS NULL OR action = $2) AND ($3::uuid IS NULL OR target_id = $3)"
    };
}

pub async fn list(
    pool: &PgPool,
    filter: &ActionLogFilter,
    page: PageRequest,
) -> StoreResult<Page<ActionLogEntry>> {
    let total: i64 = sqlx::query_scalar(concat!(
        "SELECT count(*) FROM action_logs WHERE ",
        action_filter!()
    ))
    .bind(filter.actor_id)
    .bind(filter.action.as_deref())
    .bind(filter.target_id)
    .fetch_one(pool)
    .await?;
    let items = sqlx::query_as(concat!(
        "SELECT id, actor_id, action, target_type, target_id, meta, created_at FROM action_logs WHERE ",
        action_filter!(),
        " ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5"
    ))
    .bind(filter.actor_id)
    .bind(filter.action.as_deref())
    .bind(filter.target_id)
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(pool)
    .await?;
    Ok(Page::new(items, page, total))
}
