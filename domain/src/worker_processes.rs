//! The registry of worker processes: each one records itself at start, refreshes its heartbeat
//! (with its jobs in flight) and marks itself stopped on a graceful exit. One that dies leaves
//! its row behind; the console shows it as gone once its heartbeat is older than the threshold.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

use crate::StoreResult;

/// What a process tells about itself at start.
pub struct Registration<'a> {
    pub name: &'a str,
    pub host: &'a str,
    pub pid: u32,
    pub version: &'a str,
    /// Each queue served and its concurrency.
    pub queues: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct WorkerProcess {
    pub name: String,
    pub host: String,
    pub pid: i32,
    pub version: String,
    /// Each queue served and its concurrency, e.g. `{"email": 32}`.
    #[schema(value_type = Object)]
    pub queues: serde_json::Value,
    pub in_flight: i32,
    pub started_at: DateTime<Utc>,
    pub heartbeat_at: DateTime<Utc>,
    pub stopped_at: Option<DateTime<Utc>>,
    /// `live`, `gone` (silent past the threshold: it died) or `stopped` (it exited cleanly).
    pub state: String,
}

/// Records the process, or refreshes its heartbeat and jobs in flight (recreating its row if
/// it was lost).
pub async fn beat(pool: &PgPool, process: &Registration<'_>, in_flight: usize) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO worker_processes (name, host, pid, version, queues, in_flight) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (name) DO UPDATE SET heartbeat_at = now(), in_flight = EXCLUDED.in_flight, \
           stopped_at = NULL",
    )
    .bind(process.name)
    .bind(process.host)
    .bind(i32::try_from(process.pid).unwrap_or(i32::MAX))
    .bind(process.version)
    .bind(&process.queues)
    .bind(i32::try_from(in_flight).unwrap_or(i32::MAX))
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn stopped(pool: &PgPool, name: &str) -> StoreResult<()> {
    sqlx::query(
        "UPDATE worker_processes SET stopped_at = now(), in_flight = 0, heartbeat_at = now() WHERE name = $1",
    )
    .bind(name)
    .execute(pool)
    .await?;
    Ok(())
}

/// A process's state from its row: `$1` is the silence, in seconds, that makes it gone.
macro_rules! process_state {
    () => {
        "CASE WHEN stopped_at IS NOT NULL THEN 'stopped' \
              WHEN heartbeat_at < now() - make_interval(secs => $1) THEN 'gone' \
              ELSE 'live' END"
    };
}

/// The processes heard from in the last `keep_secs`, live ones first; `gone_after_secs` of
/// silence makes a process `gone`.
pub async fn list(
    pool: &PgPool,
    gone_after_secs: u64,
    keep_secs: u64,
) -> StoreResult<Vec<WorkerProcess>> {
    Ok(sqlx::query_as(
        concat!(
            "SELECT name, host, pid, version, queues, in_flight, started_at, heartbeat_at, stopped_at, ",
            process_state!(),
            " AS state FROM worker_processes WHERE heartbeat_at > now() - make_interval(secs => $2) \
             ORDER BY (stopped_at IS NULL AND heartbeat_at >= now() - make_interval(secs => $1)) DESC, \
               heartbeat_at DESC LIMIT 500"
        ),
    )
    .bind(gone_after_secs as f64)
    .bind(keep_secs as f64)
    .fetch_all(pool)
    .await?)
}

/// How many processes heard from in the last `keep_secs` serve a queue, in one state.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct QueueLiveness {
    pub queue: String,
    /// `live`, `gone` or `stopped`, as in [`list`].
    pub state: String,
    pub processes: i64,
}

/// The processes per queue and state (only the pairs that have some).
pub async fn liveness(
    pool: &PgPool,
    gone_after_secs: u64,
    keep_secs: u64,
) -> StoreResult<Vec<QueueLiveness>> {
    Ok(sqlx::query_as(concat!(
        "SELECT served.queue, ",
        process_state!(),
        " AS state, count(*) AS processes \
         FROM worker_processes CROSS JOIN LATERAL jsonb_object_keys(queues) AS served(queue) \
         WHERE heartbeat_at > now() - make_interval(secs => $2) GROUP BY 1, 2 ORDER BY 1, 2"
    ))
    .bind(gone_after_secs as f64)
    .bind(keep_secs as f64)
    .fetch_all(pool)
    .await?)
}
