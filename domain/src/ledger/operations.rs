//! What operators do with the ledger: the figures per queue, cancelling a job, and retrying
//! dead jobs by filter.

use serde::Serialize;
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use super::JobRecord;
use crate::StoreResult;

/// One queue's figures, from the ledger.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct QueueFigures {
    pub queue: String,
    pub queued: i64,
    pub running: i64,
    pub retrying: i64,
    pub dead: i64,
    /// Seconds the oldest due `queued` job has waited (0 when none waits).
    pub oldest_queued_age_secs: f64,
    /// Jobs that ended (succeeded, failed or dead) in the last 5 and 60 minutes.
    pub finished_last_5m: i64,
    pub finished_last_60m: i64,
    /// Run time (start to end) of the jobs that ended in the last 5 minutes, in milliseconds:
    /// what the queue does now, and a bounded sort (an hour at 100 jobs/s is 360,000 rows).
    pub run_time_p50_ms: Option<f64>,
    pub run_time_p95_ms: Option<f64>,
}

/// The figures of `queues` (every one listed, with zeros when it is idle), each from index
/// ranges: the open jobs, the jobs finished in the last hour (counted, index only) and in the
/// last 5 minutes (sorted for the run-time percentiles).
pub async fn queue_figures(pool: &PgPool, queues: &[&str]) -> StoreResult<Vec<QueueFigures>> {
    Ok(sqlx::query_as(
        "WITH open AS ( \
           SELECT queue, \
             count(*) FILTER (WHERE status = 'queued') AS queued, \
             count(*) FILTER (WHERE status = 'running') AS running, \
             count(*) FILTER (WHERE status = 'retrying') AS retrying, \
             count(*) FILTER (WHERE status = 'dead') AS dead, \
             min(run_at) FILTER (WHERE status = 'queued' AND run_at <= now()) AS oldest \
           FROM jobs WHERE status IN ('queued', 'running', 'retrying', 'dead') GROUP BY queue), \
         hour AS ( \
           SELECT queue, count(*) AS last_60m \
           FROM jobs WHERE finished_at > now() - interval '60 minutes' GROUP BY queue), \
         recent AS ( \
           SELECT queue, count(*) AS last_5m, \
             percentile_cont(0.5) WITHIN GROUP (ORDER BY finished_at - started_at) AS p50, \
             percentile_cont(0.95) WITHIN GROUP (ORDER BY finished_at - started_at) AS p95 \
           FROM jobs WHERE finished_at > now() - interval '5 minutes' GROUP BY queue) \
         SELECT q.queue, \
           COALESCE(o.queued, 0) AS queued, COALESCE(o.running, 0) AS running, \
           COALESCE(o.retrying, 0) AS retrying, COALESCE(o.dead, 0) AS dead, \
           COALESCE(extract(epoch FROM now() - o.oldest), 0)::float8 AS oldest_queued_age_secs, \
           COALESCE(r.last_5m, 0) AS finished_last_5m, COALESCE(h.last_60m, 0) AS finished_last_60m, \
           (extract(epoch FROM r.p50) * 1000)::float8 AS run_time_p50_ms, \
           (extract(epoch FROM r.p95) * 1000)::float8 AS run_time_p95_ms \
         FROM unnest($1::text[]) AS q(queue) \
         LEFT JOIN open o USING (queue) LEFT JOIN hour h USING (queue) LEFT JOIN recent r USING (queue) \
         ORDER BY q.queue",
    )
    .bind(queues)
    .fetch_all(pool)
    .await?)
}

/// What a cancel request did.
pub enum Cancellation {
    /// It was queued or retrying: it is `cancelled` now.
    Cancelled(JobRecord),
    /// It is running: its worker is asked to stop.
    Requested(JobRecord),
    /// It has ended, or is already cancelled: nothing to do.
    NotCancellable(JobRecord),
    NotFound,
}

/// Cancels a job that has not started, or asks a running one to stop. The import or report a
/// cancelled job was carrying out is cancelled with it (a trigger, whichever path ends it).
pub async fn cancel(db: &mut sqlx::PgConnection, id: Uuid) -> StoreResult<Cancellation> {
    let cancelled: Option<JobRecord> = sqlx::query_as(concat!(
        "UPDATE jobs SET status = 'cancelled', finished_at = now(), updated_at = now() \
         WHERE id = $1 AND status IN ('queued', 'retrying') RETURNING ",
        job_columns!()
    ))
    .bind(id)
    .fetch_optional(&mut *db)
    .await?;
    if let Some(job) = cancelled {
        return Ok(Cancellation::Cancelled(job));
    }
    let requested: Option<JobRecord> = sqlx::query_as(concat!(
        "UPDATE jobs SET cancel_requested_at = COALESCE(cancel_requested_at, now()), updated_at = now() \
         WHERE id = $1 AND status = 'running' RETURNING ",
        job_columns!()
    ))
    .bind(id)
    .fetch_optional(&mut *db)
    .await?;
    if let Some(job) = requested {
        return Ok(Cancellation::Requested(job));
    }
    Ok(match super::find(&mut *db, id).await? {
        Some(job) => Cancellation::NotCancellable(job),
        None => Cancellation::NotFound,
    })
}

/// Which dead jobs a bulk retry takes.
#[derive(Debug, Default)]
pub struct DeadFilter<'a> {
    pub queue: Option<&'a str>,
    pub kind: Option<&'a str>,
    /// A piece of the last error, case-insensitive.
    pub error_contains: Option<&'a str>,
}

/// Puts back to `queued`, with a fresh attempt budget, at most `limit` dead jobs matching
/// `filter`, oldest first; returns their ids.
pub async fn retry_dead(
    db: impl PgExecutor<'_>,
    filter: &DeadFilter<'_>,
    limit: i64,
) -> StoreResult<Vec<Uuid>> {
    Ok(sqlx::query_scalar(
        "UPDATE jobs SET status = 'queued', attempts = 0, run_at = now(), relayed_at = NULL, \
           finished_at = NULL, cancel_requested_at = NULL, updated_at = now() \
         WHERE id IN ( \
           SELECT id FROM jobs WHERE status = 'dead' \
             AND ($1::text IS NULL OR queue = $1) AND ($2::text IS NULL OR kind = $2) \
             AND ($3::text IS NULL OR strpos(lower(last_error), lower($3)) > 0) \
           ORDER BY finished_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
         RETURNING id",
    )
    .bind(filter.queue)
    .bind(filter.kind)
    .bind(filter.error_contains)
    .bind(limit)
    .fetch_all(db)
    .await?)
}
