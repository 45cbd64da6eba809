//! The job ledger, which is also the transactional outbox.
//!
//! Life of a job: `queued` (inserted with the business write) → relayed to Redis (`relayed_at`)
//! → `running` (claimed with a lease) → `succeeded`, or `retrying` (back to the relay at
//! `run_at`), `failed` (permanent error) or `dead` (attempts exhausted). Admins put `failed` and
//! `dead` jobs back to `queued`.

use std::time::Duration;

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
         ON CONFLICT (unique_key) DO NOTHING RETURNING id",
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

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RelayItem {
    pub id: Uuid,
    pub queue: String,
}

/// Takes up to `limit` due, unrelayed jobs, hands them to `push` (which sends them to Redis) and
/// marks the ones it accepted as relayed, in one transaction. Rows are locked with SKIP LOCKED,
/// so concurrent relays (API processes, workers) never push the same row at once.
pub async fn relay_due<F, Fut, E>(
    pool: &PgPool,
    limit: u32,
    push: F,
) -> Result<usize, RelayError<E>>
where
    F: FnOnce(Vec<RelayItem>) -> Fut,
    Fut: Future<Output = (Vec<Uuid>, Option<E>)>,
{
    let mut tx = pool.begin().await.map_err(RelayError::Store)?;
    let due: Vec<RelayItem> = sqlx::query_as(
        "SELECT id, queue FROM jobs WHERE relayed_at IS NULL AND status IN ('queued', 'retrying') \
         AND run_at <= now() ORDER BY run_at LIMIT $1 FOR UPDATE SKIP LOCKED",
    )
    .bind(i64::from(limit))
    .fetch_all(&mut *tx)
    .await
    .map_err(RelayError::Store)?;
    if due.is_empty() {
        return Ok(0);
    }
    let (pushed, push_error) = push(due).await;
    sqlx::query("UPDATE jobs SET relayed_at = now(), updated_at = now() WHERE id = ANY($1)")
        .bind(&pushed)
        .execute(&mut *tx)
        .await
        .map_err(RelayError::Store)?;
    tx.commit().await.map_err(RelayError::Store)?;
    match push_error {
        Some(err) => Err(RelayError::Push {
            relayed: pushed.len(),
            source: err,
        }),
        None => Ok(pushed.len()),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError<E> {
    #[error("relay store error")]
    Store(#[source] sqlx::Error),
    #[error("relay push failed after {relayed} jobs")]
    Push { relayed: usize, source: E },
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedJob {
    pub id: Uuid,
    pub queue: String,
    pub kind: String,
    pub payload: serde_json::Value,
    pub attempts: i32,
    pub max_attempts: i32,
}

/// Claims a delivered job for `worker` with a lease. `None` means another delivery already ran
/// it, runs it now (live lease), or it is not due: the caller acknowledges and does nothing.
pub async fn claim(
    pool: &PgPool,
    id: Uuid,
    worker: &str,
    lease: Duration,
) -> StoreResult<Option<ClaimedJob>> {
    Ok(sqlx::query_as(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $2, \
           locked_until = now() + make_interval(secs => $3), started_at = now(), updated_at = now() \
         WHERE id = $1 AND run_at <= now() + interval '1 second' \
           AND (status IN ('queued', 'retrying') \
                OR (status = 'running' AND locked_until < now() AND attempts < max_attempts)) \
         RETURNING id, queue, kind, payload, attempts, max_attempts",
    )
    .bind(id)
    .bind(worker)
    .bind(lease.as_secs_f64())
    .fetch_optional(pool)
    .await?)
}

/// Renews a running job's lease; false when this claim lost it (expired and taken over).
/// A claim is (worker, attempt): a later claim of the same job, even by the same process,
/// is another one.
pub async fn renew_lease(
    pool: &PgPool,
    job: &ClaimedJob,
    worker: &str,
    lease: Duration,
) -> StoreResult<bool> {
    let renewed = sqlx::query(
        "UPDATE jobs SET locked_until = now() + make_interval(secs => $3) \
         WHERE id = $1 AND status = 'running' AND locked_by = $2 AND attempts = $4",
    )
    .bind(job.id)
    .bind(worker)
    .bind(lease.as_secs_f64())
    .bind(job.attempts)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(renewed == 1)
}

/// How a claimed run ended.
#[derive(Debug)]
pub enum Outcome<'a> {
    Succeeded,
    /// Transient failure: run again after `delay`.
    Retry {
        delay: Duration,
        error: &'a str,
    },
    /// Transient failure with no attempts left.
    Dead {
        error: &'a str,
    },
    /// Permanent failure (bad input): retrying cannot help.
    Failed {
        error: &'a str,
    },
}

/// Records the end of a claim by `worker`. A claim whose lease was taken over records nothing.
pub async fn finish(
    pool: &PgPool,
    job: &ClaimedJob,
    worker: &str,
    outcome: Outcome<'_>,
) -> StoreResult<()> {
    let (status, delay, error) = match outcome {
        Outcome::Succeeded => ("succeeded", None, None),
        Outcome::Retry { delay, error } => ("retrying", Some(delay), Some(error)),
        Outcome::Dead { error } => ("dead", None, Some(error)),
        Outcome::Failed { error } => ("failed", None, Some(error)),
    };
    sqlx::query(
        "UPDATE jobs SET status = $3, last_error = COALESCE($4, last_error), locked_by = NULL, locked_until = NULL, \
           run_at = CASE WHEN $5::float8 IS NULL THEN run_at ELSE now() + make_interval(secs => $5) END, \
           relayed_at = CASE WHEN $5::float8 IS NULL THEN relayed_at ELSE NULL END, \
           finished_at = CASE WHEN $5::float8 IS NULL THEN now() ELSE NULL END, updated_at = now() \
         WHERE id = $1 AND status = 'running' AND locked_by = $2 AND attempts = $6",
    )
    .bind(job.id)
    .bind(worker)
    .bind(status)
    .bind(error)
    .bind(delay.map(|d| d.as_secs_f64()))
    .bind(job.attempts)
    .execute(pool)
    .await?;
    Ok(())
}

/// Puts running jobs whose lease expired (their worker died) back in line for the relay.
/// The interrupted run counts as an attempt; with none left the job is dead.
pub async fn recover_expired_leases(pool: &PgPool) -> StoreResult<u64> {
    Ok(sqlx::query(
        "UPDATE jobs SET \
           status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'retrying' END, \
           last_error = 'worker lost while running (lease expired)', \
           finished_at = CASE WHEN attempts >= max_attempts THEN now() ELSE NULL END, \
           locked_by = NULL, locked_until = NULL, relayed_at = NULL, run_at = now(), updated_at = now() \
         WHERE status = 'running' AND locked_until < now()",
    )
    .execute(pool)
    .await?
    .rows_affected())
}

/// Sends again the jobs handed to Redis more than `after` ago and still not started: their
/// message was lost (Redis restarted without persistence, or a delivery was dropped while
/// Postgres was unreachable). A message that was only slow makes a duplicate, which `claim`
/// drops.
pub async fn redeliver_stale(pool: &PgPool, after: Duration) -> StoreResult<u64> {
    Ok(sqlx::query(
        "UPDATE jobs SET relayed_at = NULL, updated_at = now() \
         WHERE status IN ('queued', 'retrying') AND relayed_at < now() - make_interval(secs => $1)",
    )
    .bind(after.as_secs_f64())
    .execute(pool)
    .await?
    .rows_affected())
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
}

macro_rules! job_columns {
    () => {
        "id, queue, kind, status, attempts, max_attempts, last_error, run_at, created_at, started_at, finished_at, updated_at"
    };
}

macro_rules! job_filter {
    () => {
        "($1::text IS NULL OR queue = $1) AND ($2::text IS NULL OR status = $2)"
    };
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

pub async fn list(
    pool: &PgPool,
    queue: Option<&str>,
    status: Option<&str>,
    page: PageRequest,
) -> StoreResult<Page<JobRecord>> {
    let total: i64 = sqlx::query_scalar(concat!("SELECT count(*) FROM jobs WHERE ", job_filter!()))
        .bind(queue)
        .bind(status)
        .fetch_one(pool)
        .await?;
    let items = sqlx::query_as(concat!(
        "SELECT ",
        job_columns!(),
        " FROM jobs WHERE ",
        job_filter!(),
        " ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4"
    ))
    .bind(queue)
    .bind(status)
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
