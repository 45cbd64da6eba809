//! The job ledger, which is also the transactional outbox.
//!
//! Life of a job: `queued` (inserted with the business write) → relayed to Redis (`relayed_at`)
//! → `running` (claimed with a lease) → `succeeded`, or `retrying` (back to the relay at
//! `run_at`), `failed` (permanent error) or `dead` (attempts exhausted). Admins put `failed` and
//! `dead` jobs back to `queued`, and cancel jobs: a queued or retrying one becomes `cancelled`,
//! a running one is asked to stop (`cancel_requested_at`) and ends `cancelled`.
//!
//! Every statement on the hot path works on batches: the relay takes many jobs per queue at
//! once ([`relay`]), workers claim what one Redis pop gave them in one statement and record
//! outcomes and lease renewals in batches ([`claims`]).

mod claims;
mod relay;

pub use claims::{
    ClaimedJob, FinishedRun, Outcome, Renewed, claim_batch, finish_batch, ping,
    recover_expired_leases, release_claims, renew_leases,
};
pub use relay::{RelayedJob, redeliver_lost, relay_backlog, take_for_relay, unmark_relayed};

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use crate::pagination::{Page, PageRequest};
use crate::{StoreError, StoreResult, new_id};

pub struct NewJob<'a> {
    pub queue: &'a str,
    pub kind: &'a str,
    pub payload: serde_json::Value,
    pub max_attempts: u32,
    /// At most one job ever exists per unique key (e.g. one per cron tick).
    pub unique_key: Option<String>,
}

/// Inserts a job; call it inside the business transaction so the two commit together.
/// Returns `None` when a job with the same unique key already exists.
pub async fn insert(db: impl PgExecutor<'_>, job: NewJob<'_>) -> StoreResult<Option<Uuid>> {
    sqlx::query_scalar(
        "INSERT INTO jobs (id, queue, kind, payload, max_attempts, unique_key) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL DO NOTHING RETURNING id",
    )
    .bind(new_id())
    .bind(job.queue)
    .bind(job.kind)
    .bind(job.payload)
    .bind(i32::try_from(job.max_attempts).unwrap_or(i32::MAX))
    .bind(job.unique_key)
    .fetch_optional(db)
    .await
    .map_err(StoreError::from_sqlx)
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct JobRecord {
    pub id: Uuid,
    pub queue: String,
    pub kind: String,
    pub status: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub last_error: Option<String>,
    pub run_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// An admin asked the running job to stop.
    pub cancel_requested_at: Option<DateTime<Utc>>,
}

macro_rules! job_columns {
    () => {
        "id, queue, kind, status, attempts, max_attempts, last_error, run_at, created_at, started_at, finished_at, \
         updated_at, cancel_requested_at"
    };
}

mod operations;
mod throughput;

pub use operations::{Cancellation, DeadFilter, QueueFigures, cancel, queue_figures, retry_dead};
pub use throughput::{MinuteBucket, last_hour_by_minute};

macro_rules! job_filter {
    () => {
        "($1::text IS NULL OR queue = $1) AND ($2::text IS NULL OR status = $2) \
         AND ($3::text IS NULL OR kind = $3)"
    };
}

/// Which jobs a listing shows; every part is optional.
#[derive(Debug, Default, Clone, Copy)]
pub struct JobFilter<'a> {
    pub queue: Option<&'a str>,
    pub status: Option<&'a str>,
    pub kind: Option<&'a str>,
}

pub async fn find(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<Option<JobRecord>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        job_columns!(),
        " FROM jobs WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// The payload a job was enqueued with (what its handler reads).
pub async fn payload(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<Option<serde_json::Value>> {
    Ok(sqlx::query_scalar("SELECT payload FROM jobs WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await?)
}

pub async fn list(
    pool: &PgPool,
    filter: JobFilter<'_>,
    page: PageRequest,
) -> StoreResult<Page<JobRecord>> {
    let total: i64 = sqlx::query_scalar(concat!("SELECT count(*) FROM jobs WHERE ", job_filter!()))
        .bind(filter.queue)
        .bind(filter.status)
        .bind(filter.kind)
        .fetch_one(pool)
        .await?;
    let items = sqlx::query_as(concat!(
        "SELECT ",
        job_columns!(),
        " FROM jobs WHERE ",
        job_filter!(),
        " ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5"
    ))
    .bind(filter.queue)
    .bind(filter.status)
    .bind(filter.kind)
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(pool)
    .await?;
    Ok(Page::new(items, page, total))
}

/// Gives a `failed` or `dead` job a fresh attempt budget. `None` when no such job is in one of
/// those states.
pub async fn requeue_finished(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<Option<JobRecord>> {
    Ok(sqlx::query_as(concat!(
        "UPDATE jobs SET status = 'queued', attempts = 0, run_at = now(), relayed_at = NULL, finished_at = NULL, \
           updated_at = now() WHERE id = $1 AND status IN ('failed', 'dead') RETURNING ",
        job_columns!()
    ))
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// Removes succeeded jobs older than `days` from the ledger.
pub async fn purge_succeeded(pool: &PgPool, days: u32) -> StoreResult<u64> {
    Ok(sqlx::query("DELETE FROM jobs WHERE status = 'succeeded' AND finished_at < now() - make_interval(days => $1)")
        .bind(i32::try_from(days).unwrap_or(i32::MAX))
        .execute(pool)
        .await?
        .rows_affected())
}
