//! The faults a run injected, when each one ended, and how long the job system took to recover
//! from them, read from the ledger afterwards.
//!
//! Recovery is measured where users see it: the `finished_at` of succeeded jobs in the `jobs`
//! table. The recovery from a fault is the time from its end (the replacement started, the
//! service back) to the next job that completed; the longest stall is the longest gap between
//! two completions during the run, whatever caused it.

use std::fmt;

use sqlx::PgPool;

use super::unix_now;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    WorkerKilled,
    RedisRestartKeepingData,
    RedisRestartEmpty,
    PostgresOutage,
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::WorkerKilled => "worker SIGKILL",
            Self::RedisRestartKeepingData => "Redis restart (data kept)",
            Self::RedisRestartEmpty => "Redis restart (empty)",
            Self::PostgresOutage => "PostgreSQL outage",
        })
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Fault {
    pub kind: FaultKind,
    /// Unix seconds when the fault began.
    pub began_at: f64,
    /// Unix seconds when the fault ended (the service or the replacement was started).
    pub ended_at: f64,
    /// The jobs it could hurt: for a kill, those the victim was running; for an outage, every
    /// open (queued, running, retrying) job when it began. A fault on an idle system proves
    /// nothing, so the run reports these.
    pub exposed: i64,
}

/// A fault and how long after its end the next job completed (`None`: none did).
#[derive(Debug, Clone, Copy)]
pub struct Recovery {
    pub fault: Fault,
    pub seconds: Option<f64>,
    /// The next fault began before any job completed: the wait is that fault's doing too, so
    /// it is not this fault's recovery.
    pub masked: bool,
}

#[derive(Debug, Default)]
pub struct FaultLog {
    faults: Vec<Fault>,
    began_at: Option<f64>,
}

impl FaultLog {
    /// Marks the start of the next fault.
    pub fn begin(&mut self) {
        self.began_at = Some(unix_now());
    }

    /// Records that the fault begun last, of `kind`, which exposed `exposed` jobs, just ended.
    pub fn ended(&mut self, kind: FaultKind, exposed: i64) {
        let ended_at = unix_now();
        self.faults.push(Fault {
            kind,
            began_at: self.began_at.take().unwrap_or(ended_at),
            ended_at,
            exposed,
        });
    }

    pub fn count(&self, kind: FaultKind) -> usize {
        self.faults.iter().filter(|f| f.kind == kind).count()
    }

    /// Kills that hit a worker while it was running jobs.
    pub fn kills_mid_job(&self) -> usize {
        self.faults
            .iter()
            .filter(|f| f.kind == FaultKind::WorkerKilled && f.exposed > 0)
            .count()
    }

    /// Rows for the figures: `kills mid-job | 9/10 (212 jobs)`, then the open jobs at each
    /// outage, e.g. `open jobs, PostgreSQL outage | 1800`.
    pub fn exposure(&self) -> Vec<(String, String)> {
        let kills: Vec<&Fault> = self
            .faults
            .iter()
            .filter(|f| f.kind == FaultKind::WorkerKilled)
            .collect();
        let hit: i64 = kills.iter().map(|f| f.exposed).sum();
        let mut rows = vec![(
            "kills mid-job (jobs hit)".to_owned(),
            format!("{}/{} ({hit})", self.kills_mid_job(), kills.len()),
        )];
        for fault in self
            .faults
            .iter()
            .filter(|f| f.kind != FaultKind::WorkerKilled)
        {
            rows.push((
                format!("open jobs, {}", fault.kind),
                fault.exposed.to_string(),
            ));
        }
        rows
    }

    /// Each fault's recovery, from the ledger (run it once the jobs have finished).
    pub async fn recoveries(&self, pool: &PgPool) -> sqlx::Result<Vec<Recovery>> {
        let mut recoveries = Vec::new();
        for (index, fault) in self.faults.iter().enumerate() {
            let next: Option<f64> = sqlx::query_scalar(
                "SELECT extract(epoch FROM min(finished_at))::float8 FROM jobs \
                 WHERE status = 'succeeded' AND finished_at >= to_timestamp($1)",
            )
            .bind(fault.ended_at)
            .fetch_one(pool)
            .await?;
            let next_fault = self.faults.get(index + 1).map(|f| f.began_at);
            recoveries.push(Recovery {
                fault: *fault,
                seconds: next.map(|at| (at - fault.ended_at).max(0.0)),
                masked: next_fault.is_some_and(|began| next.is_none_or(|at| at > began)),
            });
        }
        Ok(recoveries)
    }
}

/// The slowest recovery not masked by the next fault; a fault after which nothing ever
/// completed counts as infinitely slow.
pub fn longest(recoveries: &[Recovery]) -> Option<Recovery> {
    recoveries
        .iter()
        .copied()
        .filter(|r| !r.masked)
        .max_by(|a, b| {
            let key = |r: &Recovery| r.seconds.unwrap_or(f64::INFINITY);
            key(a).total_cmp(&key(b))
        })
}

/// The longest gap between two consecutive job completions from `since` (Unix seconds) on.
pub async fn longest_stall(pool: &PgPool, since: f64) -> sqlx::Result<Option<f64>> {
    sqlx::query_scalar(
        "SELECT extract(epoch FROM max(gap))::float8 FROM ( \
             SELECT finished_at - lag(finished_at) OVER (ORDER BY finished_at) AS gap \
             FROM jobs WHERE status = 'succeeded' AND finished_at >= to_timestamp($1)) gaps",
    )
    .bind(since)
    .fetch_one(pool)
    .await
}
