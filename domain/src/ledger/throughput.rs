//! The last hour of finished jobs, minute by minute: the console's throughput and latency chart.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

use crate::StoreResult;

/// One minute of finished jobs (succeeded, failed or dead), every queue together.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct MinuteBucket {
    pub minute: DateTime<Utc>,
    pub finished: i64,
    /// Run time (start to end) of that minute's jobs, in milliseconds; none when none ended.
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
}

/// Sixty buckets, oldest first, the current minute last; idle minutes count zero. Reads one
/// range of `jobs_finished_idx` (finished_at, including queue and started_at): an index-only
/// scan of the last hour, however many millions of older rows the ledger holds.
pub async fn last_hour_by_minute(pool: &PgPool) -> StoreResult<Vec<MinuteBucket>> {
    Ok(sqlx::query_as(
        "WITH finished AS ( \
           SELECT date_trunc('minute', finished_at) AS minute, count(*) AS finished, \
             percentile_cont(0.5) WITHIN GROUP (ORDER BY finished_at - started_at) AS p50, \
             percentile_cont(0.95) WITHIN GROUP (ORDER BY finished_at - started_at) AS p95 \
           FROM jobs \
           WHERE finished_at IS NOT NULL \
             AND finished_at >= date_trunc('minute', now()) - interval '59 minutes' \
           GROUP BY 1) \
         SELECT m.minute, COALESCE(f.finished, 0) AS finished, \
           (extract(epoch FROM f.p50) * 1000)::float8 AS p50_ms, \
           (extract(epoch FROM f.p95) * 1000)::float8 AS p95_ms \
         FROM generate_series(date_trunc('minute', now()) - interval '59 minutes', \
                              date_trunc('minute', now()), interval '1 minute') AS m(minute) \
         LEFT JOIN finished f USING (minute) ORDER BY m.minute",
    )
    .fetch_all(pool)
    .await?)
}
