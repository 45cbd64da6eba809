//! The worker side of the ledger: claims with leases, their renewal and their outcomes, all in
//! batches. A claim is (worker, attempt): a later claim of the same job, even by the same
//! process, is another one, and a statement about an old claim changes nothing.

use std::time::Duration;

use sqlx::PgPool;
use uuid::Uuid;

use crate::StoreResult;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedJob {
    pub id: Uuid,
    pub queue: String,
    pub kind: String,
    pub payload: serde_json::Value,
    pub attempts: i32,
    pub max_attempts: i32,
}

/// Claims the delivered jobs `ids` for `worker` with a lease, in one statement. A job missing
/// from the answer was already done, is running under a live lease, is claimed right now by
/// another worker (SKIP LOCKED: the duplicate delivery loses), or is not due: its message is
/// dropped.
pub async fn claim_batch(
    pool: &PgPool,
    ids: &[Uuid],
    worker: &str,
    lease: Duration,
) -> StoreResult<Vec<ClaimedJob>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as(
        "WITH claimable AS ( \
           SELECT id FROM jobs WHERE id = ANY($1) AND run_at <= now() + interval '1 second' \
             AND (status IN ('queued', 'retrying') \
                  OR (status = 'running' AND locked_until < now() AND attempts < max_attempts)) \
           ORDER BY id FOR UPDATE SKIP LOCKED) \
         UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $2, \
           locked_until = now() + make_interval(secs => $3), started_at = now(), updated_at = now() \
         WHERE jobs.id = ANY(ARRAY(SELECT id FROM claimable)) \
         RETURNING jobs.id, jobs.queue, jobs.kind, jobs.payload, jobs.attempts, jobs.max_attempts",
    )
    .bind(ids)
    .bind(worker)
    .bind(lease.as_secs_f64())
    .fetch_all(pool)
    .await?)
}

/// A lease renewed, and whether an admin asked the run to stop.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct Renewed {
    pub id: Uuid,
    pub cancel_requested: bool,
}

/// Renews the leases of `claims` (id, attempt) held by `worker`; returns the claims still held.
/// A claim missing from the answer was lost: its lease expired and the job was taken over.
pub async fn renew_leases(
    pool: &PgPool,
    worker: &str,
    claims: &[(Uuid, i32)],
    lease: Duration,
) -> StoreResult<Vec<Renewed>> {
    if claims.is_empty() {
        return Ok(Vec::new());
    }
    let (ids, attempts): (Vec<Uuid>, Vec<i32>) = claims.iter().copied().unzip();
    Ok(sqlx::query_as(
        "UPDATE jobs SET locked_until = now() + make_interval(secs => $4) \
         FROM unnest($2::uuid[], $3::int[]) AS c(id, attempts) \
         WHERE jobs.id = c.id AND jobs.status = 'running' AND jobs.locked_by = $1 \
           AND jobs.attempts = c.attempts \
         RETURNING jobs.id, jobs.cancel_requested_at IS NOT NULL AS cancel_requested",
    )
    .bind(worker)
    .bind(&ids)
    .bind(&attempts)
    .bind(lease.as_secs_f64())
    .fetch_all(pool)
    .await?)
}

/// How a claimed run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Succeeded,
    /// Transient failure: run again after `delay`.
    Retry {
        delay: Duration,
        error: String,
    },
    /// Transient failure with no attempts left.
    Dead {
        error: String,
    },
    /// Permanent failure (bad input): retrying cannot help.
    Failed {
        error: String,
    },
    /// Stopped at an admin's request.
    Cancelled,
}

impl Outcome {
    fn status(&self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Retry { .. } => "retrying",
            Outcome::Dead { .. } => "dead",
            Outcome::Failed { .. } => "failed",
            Outcome::Cancelled => "cancelled",
        }
    }

    fn error(&self) -> Option<&str> {
        match self {
            Outcome::Succeeded => None,
            Outcome::Cancelled => Some("cancelled by an admin"),
            Outcome::Retry { error, .. } | Outcome::Dead { error } | Outcome::Failed { error } => {
                Some(error)
            }
        }
    }

    fn retry_delay(&self) -> Option<f64> {
        match self {
            Outcome::Retry { delay, .. } => Some(delay.as_secs_f64()),
            _ => None,
        }
    }
}

/// The end of one claim.
#[derive(Debug, Clone)]
pub struct FinishedRun {
    pub id: Uuid,
    pub attempts: i32,
    pub outcome: Outcome,
}

/// Records the ends of claims by `worker` in one statement. A claim whose lease was taken over
/// records nothing. Returns how many were recorded.
pub async fn finish_batch(pool: &PgPool, worker: &str, runs: &[FinishedRun]) -> StoreResult<u64> {
    if runs.is_empty() {
        return Ok(0);
    }
    let ids: Vec<Uuid> = runs.iter().map(|run| run.id).collect();
    let attempts: Vec<i32> = runs.iter().map(|run| run.attempts).collect();
    let statuses: Vec<&str> = runs.iter().map(|run| run.outcome.status()).collect();
    let delays: Vec<Option<f64>> = runs.iter().map(|run| run.outcome.retry_delay()).collect();
    let errors: Vec<Option<&str>> = runs.iter().map(|run| run.outcome.error()).collect();
    Ok(sqlx::query(
        "UPDATE jobs SET status = o.status, last_error = COALESCE(o.error, jobs.last_error), \
           locked_by = NULL, locked_until = NULL, \
           run_at = CASE WHEN o.delay IS NULL THEN jobs.run_at ELSE now() + make_interval(secs => o.delay) END, \
           relayed_at = CASE WHEN o.delay IS NULL THEN jobs.relayed_at ELSE NULL END, \
           finished_at = CASE WHEN o.delay IS NULL THEN now() ELSE NULL END, updated_at = now() \
         FROM unnest($2::uuid[], $3::int[], $4::text[], $5::float8[], $6::text[]) \
           AS o(id, attempts, status, delay, error) \
         WHERE jobs.id = o.id AND jobs.status = 'running' AND jobs.locked_by = $1 \
           AND jobs.attempts = o.attempts",
    )
    .bind(worker)
    .bind(&ids)
    .bind(&attempts)
    .bind(&statuses)
    .bind(&delays)
    .bind(&errors)
    .execute(pool)
    .await?
    .rows_affected())
}

/// Hands claims back at shutdown so another worker runs them now instead of after the lease.
/// `started` says whether their handler began: a run interrupted midway counts as an attempt,
/// a claim that never started does not.
pub async fn release_claims(
    pool: &PgPool,
    worker: &str,
    claims: &[(Uuid, i32)],
    started: bool,
) -> StoreResult<u64> {
    if claims.is_empty() {
        return Ok(0);
    }
    let (ids, attempts): (Vec<Uuid>, Vec<i32>) = claims.iter().copied().unzip();
    Ok(sqlx::query(
        "UPDATE jobs SET \
           attempts = CASE WHEN $4 THEN jobs.attempts ELSE jobs.attempts - 1 END, \
           status = CASE WHEN jobs.cancel_requested_at IS NOT NULL THEN 'cancelled' \
                         WHEN $4 AND jobs.attempts >= jobs.max_attempts THEN 'dead' \
                         WHEN NOT $4 AND jobs.attempts = 1 THEN 'queued' ELSE 'retrying' END, \
           last_error = CASE WHEN $4 THEN 'interrupted by worker shutdown' ELSE jobs.last_error END, \
           finished_at = CASE WHEN jobs.cancel_requested_at IS NOT NULL \
                                   OR ($4 AND jobs.attempts >= jobs.max_attempts) THEN now() ELSE NULL END, \
           locked_by = NULL, locked_until = NULL, relayed_at = NULL, run_at = now(), updated_at = now() \
         FROM unnest($2::uuid[], $3::int[]) AS c(id, attempts) \
         WHERE jobs.id = c.id AND jobs.status = 'running' AND jobs.locked_by = $1 \
           AND jobs.attempts = c.attempts",
    )
    .bind(worker)
    .bind(&ids)
    .bind(&attempts)
    .bind(started)
    .execute(pool)
    .await?
    .rows_affected())
}

/// Puts running jobs whose lease expired (their worker died) back in line for the relay.
/// The interrupted run counts as an attempt; with none left the job is dead.
pub async fn recover_expired_leases(pool: &PgPool) -> StoreResult<u64> {
    Ok(sqlx::query(
        "UPDATE jobs SET \
           status = CASE WHEN cancel_requested_at IS NOT NULL THEN 'cancelled' \
                         WHEN attempts >= max_attempts THEN 'dead' ELSE 'retrying' END, \
           last_error = 'worker lost while running (lease expired)', \
           finished_at = CASE WHEN cancel_requested_at IS NOT NULL OR attempts >= max_attempts \
                              THEN now() ELSE NULL END, \
           locked_by = NULL, locked_until = NULL, relayed_at = NULL, run_at = now(), updated_at = now() \
         WHERE status = 'running' AND locked_until < now()",
    )
    .execute(pool)
    .await?
    .rows_affected())
}

/// A round trip to the ledger (the lease recovery's proof that it is reachable).
pub async fn ping(pool: &PgPool) -> StoreResult<()> {
    sqlx::query("SELECT 1").execute(pool).await?;
    Ok(())
}
