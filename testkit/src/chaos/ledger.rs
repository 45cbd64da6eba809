//! What the job ledger (the `jobs` table) says at the end of a run: whether every job ended,
//! and the figures read from it.

use std::process::ExitStatus;
use std::time::Duration;

use sqlx::PgPool;

use super::faults::{self, FaultKind, FaultLog};
use super::figures::Figures;
use crate::wait::wait_until;

/// Waits until no job is queued, running or retrying; `false` if `limit` passed first (the run
/// then reports what is left instead of panicking before its figures are printed).
pub async fn settle(pool: &PgPool, limit: Duration) -> bool {
    let ended = wait_until("every job to end", limit * 2, || async move {
        // Polling the ledger at a calm pace: the workers need the CPU.
        tokio::time::sleep(Duration::from_millis(250)).await;
        let open: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM jobs \
             WHERE status NOT IN ('succeeded', 'failed', 'dead', 'cancelled')",
        )
        .fetch_one(pool)
        .await
        .ok()?;
        (open == 0).then_some(())
    });
    tokio::time::timeout(limit, ended).await.is_ok()
}

/// Jobs not yet ended (queued, running or retrying).
pub async fn open_jobs(pool: &PgPool) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE status IN ('queued', 'running', 'retrying')",
    )
    .fetch_one(pool)
    .await
}

/// Jobs the worker process `pid` is running: worker names are `<prefix>-<host>-<pid>-<hex4>`.
pub async fn running_on(pool: &PgPool, pid: u32) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE status = 'running' AND locked_by ~ ('-' || $1 || '-[0-9a-f]{4}')",
    )
    .bind(pid.to_string())
    .fetch_one(pool)
    .await
}

/// Fills the figures the ledger holds: jobs (per kind), re-runs, the slowest job, each fault's
/// recovery and the longest stall since `since` (Unix seconds, the start of the chaos).
pub async fn read_figures(
    pool: &PgPool,
    faults: &FaultLog,
    since: f64,
    figures: &mut Figures,
) -> sqlx::Result<()> {
    let kinds: Vec<(String, i64)> =
        sqlx::query_as("SELECT kind, count(*) FROM jobs GROUP BY kind ORDER BY count(*) DESC")
            .fetch_all(pool)
            .await?;
    figures.jobs_by_kind = kinds
        .into_iter()
        .map(|(kind, n)| (kind, n.unsigned_abs()))
        .collect();
    figures.jobs = figures.jobs_by_kind.iter().map(|(_, n)| n).sum();
    let (reruns, slowest): (i64, Option<f64>) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE attempts > 1), \
                extract(epoch FROM max(finished_at - created_at) \
                        FILTER (WHERE status = 'succeeded'))::float8 \
         FROM jobs",
    )
    .fetch_one(pool)
    .await?;
    figures.reruns = reruns.unsigned_abs();
    figures.slowest_job = slowest;
    let recoveries = faults.recoveries(pool).await?;
    figures.longest_recovery = faults::longest(&recoveries);
    figures.longest_stall = faults::longest_stall(pool, since).await?;
    figures.pg_outages = faults.count(FaultKind::PostgresOutage);
    figures.exposure = faults.exposure();
    Ok(())
}

/// `#4 exit status: 0, #7 still running (killed)`: how each worker ended after SIGTERM.
pub fn describe_drain(outcomes: &[(usize, Option<ExitStatus>)]) -> String {
    let lines: Vec<String> = outcomes
        .iter()
        .map(|(serial, status)| match status {
            Some(status) => format!("#{serial} {status}"),
            None => format!("#{serial} still running at the deadline (killed)"),
        })
        .collect();
    lines.join(", ")
}
