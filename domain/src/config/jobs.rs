//! Settings of the job system (`[jobs]`, `[jobs.queues.*]`) and of worker processes
//! (`[worker]`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;

use super::ConfigError;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSettings {
    pub max_attempts: u32,
    pub backoff_base_ms: u64,
    pub backoff_max_ms: u64,
    pub lease_secs: u64,
    pub redeliver_after_secs: u64,
    pub relay_interval_ms: u64,
    pub relay_batch: u32,
    /// How long an idle consumer's blocking pop waits before asking again.
    pub pop_block_ms: u64,
    /// A repeated identical error is logged once per this many seconds, with a count.
    pub log_repeat_secs: u64,
    pub housekeeping_interval_secs: u64,
    pub shop_sweep_interval_secs: u64,
    /// The quote-expiry sweep (offers past `valid_until` become `expired`) runs this often.
    pub quote_sweep_interval_secs: u64,
    pub ledger_retention_days: u32,
    #[serde(default)]
    pub queues: BTreeMap<String, QueueSettings>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueSettings {
    pub concurrency: usize,
    pub max_attempts: Option<u32>,
    /// Most messages of this queue held in Redis at once; the rest wait in the outbox.
    pub window: Option<usize>,
    /// Most messages one consumer takes per pop (and claims in one statement).
    pub fetch_batch: Option<usize>,
}

impl QueueSettings {
    /// The Redis window: by default eight messages per unit of concurrency, at least 64, so a
    /// few worker processes never wait on the relay.
    pub fn window(&self) -> usize {
        self.window.unwrap_or((self.concurrency * 8).max(64))
    }

    /// Messages per pop: by default the concurrency, so a claimed job waits at most one run
    /// before it starts.
    pub fn fetch_batch(&self) -> usize {
        self.fetch_batch.unwrap_or(self.concurrency).max(1)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerSettings {
    pub queues: Vec<String>,
    pub name_prefix: String,
    pub shutdown_timeout_secs: u64,
    /// `GET /health/live` and `/health/ready` for an orchestrator's probes.
    pub health_bind: SocketAddr,
    /// A consumer failing this long makes the process exit non-zero (its supervisor restarts
    /// it); 0 never exits.
    pub unhealthy_exit_secs: u64,
    /// How often the process refreshes its row in `worker_processes`.
    pub heartbeat_secs: u64,
    /// A process silent this long is shown as gone.
    pub gone_after_secs: u64,
}

impl JobSettings {
    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_secs)
    }

    pub fn log_repeat(&self) -> Duration {
        Duration::from_secs(self.log_repeat_secs)
    }

    /// `(queue, window)` for every configured queue.
    pub fn windows(&self) -> Vec<(String, usize)> {
        self.queues
            .iter()
            .map(|(name, queue)| (name.clone(), queue.window()))
            .collect()
    }
}

fn invalid(key: &'static str, reason: impl Into<String>) -> Result<(), ConfigError> {
    Err(ConfigError::Invalid {
        key,
        reason: reason.into(),
    })
}

pub(super) fn validate(jobs: &JobSettings, worker: &WorkerSettings) -> Result<(), ConfigError> {
    if jobs.max_attempts == 0 {
        return invalid("jobs.max_attempts", "must be at least 1");
    }
    if jobs.backoff_base_ms == 0 || jobs.backoff_max_ms < jobs.backoff_base_ms {
        return invalid("jobs.backoff_max_ms", "must be >= jobs.backoff_base_ms > 0");
    }
    if jobs.lease_secs < 2 {
        return invalid("jobs.lease_secs", "must be at least 2");
    }
    if jobs.redeliver_after_secs < 2 {
        return invalid("jobs.redeliver_after_secs", "must be at least 2");
    }
    if jobs.relay_batch == 0
        || jobs.relay_interval_ms == 0
        || jobs.pop_block_ms == 0
        || jobs.log_repeat_secs == 0
        || jobs.housekeeping_interval_secs == 0
        || jobs.shop_sweep_interval_secs == 0
        || jobs.quote_sweep_interval_secs == 0
    {
        return invalid(
            "jobs.relay_batch",
            "relay, pop and interval settings must be > 0",
        );
    }
    if jobs.pop_block_ms > 10_000 {
        return invalid("jobs.pop_block_ms", "must be at most 10000");
    }
    if jobs.queues.values().any(|q| q.concurrency == 0) {
        return invalid(
            "jobs.queues",
            "every queue's concurrency must be at least 1",
        );
    }
    if jobs.queues.values().any(|q| q.window() == 0) {
        return invalid("jobs.queues", "a queue's window must be at least 1");
    }
    if let Some(queue) = worker.queues.iter().find(|q| !jobs.queues.contains_key(*q)) {
        return invalid(
            "worker.queues",
            format!("queue `{queue}` has no [jobs.queues.{queue}] section"),
        );
    }
    Ok(())
}
