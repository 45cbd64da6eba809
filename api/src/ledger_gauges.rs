//! The job system's gauges on the API's `/metrics`: queue depth by status and the oldest queued
//! job's age, the relay backlog (due jobs not yet handed to Redis) and window (messages Redis
//! holds per queue, and the configured window), and worker liveness per queue. They are
//! computed here only, at scrape time, from the ledger (every API replica exports the same
//! values: aggregate them with `max`), and kept a few seconds so that a scrape storm costs
//! Postgres one round of queries. The counters and run-time histogram come from
//! `comptoir_jobs::metrics`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use metrics_exporter_prometheus::formatting::{
    sanitize_label_value, write_help_line, write_metric_line, write_type_line,
};
use sqlx::PgPool;
use tokio::sync::Mutex;

use comptoir_domain::StoreResult;
use comptoir_domain::config::Settings;
use comptoir_domain::ledger::{self, QueueFigures};
use comptoir_domain::worker_processes::{self, QueueLiveness};
use comptoir_jobs::{RedisTransport, queues};

use crate::routes::operations::KEEP_SILENT_SECS;

pub const QUEUE_JOBS: &str = "comptoir_queue_jobs";
pub const OLDEST_QUEUED_AGE: &str = "comptoir_queue_oldest_queued_age_seconds";
pub const RELAY_BACKLOG: &str = "comptoir_relay_backlog_jobs";
pub const RELAY_WINDOW_HELD: &str = "comptoir_relay_window_messages";
pub const RELAY_WINDOW_SIZE: &str = "comptoir_relay_window_size_messages";
pub const WORKER_PROCESSES: &str = "comptoir_worker_processes";
pub const SOURCE_UP: &str = "comptoir_job_gauges_source_up";

/// How long one computation serves every scrape.
const CACHE_FOR: Duration = Duration::from_secs(5);
/// A scrape gives up on a slow database or Redis rather than hang (Prometheus's default
/// scrape timeout is 10 s).
const SOURCE_TIMEOUT: Duration = Duration::from_secs(5);
const PROCESS_STATES: [&str; 3] = ["live", "gone", "stopped"];

pub struct LedgerGauges {
    pool: PgPool,
    redis: RedisTransport,
    windows: Vec<(String, usize)>,
    gone_after_secs: u64,
    cached: Mutex<Option<(Instant, Arc<str>)>>,
}

/// What the ledger said, read in one go.
struct LedgerReading {
    figures: Vec<QueueFigures>,
    backlog: HashMap<String, i64>,
    liveness: Vec<QueueLiveness>,
}

impl LedgerGauges {
    pub fn new(pool: PgPool, redis: RedisTransport, settings: &Settings) -> Self {
        Self {
            pool,
            redis,
            windows: settings.jobs.windows(),
            gone_after_secs: settings.worker.gone_after_secs,
            cached: Mutex::new(None),
        }
    }

    /// The gauges in Prometheus text. Concurrent scrapes wait for the one computation in
    /// progress and share its result.
    pub async fn render(&self) -> Arc<str> {
        let mut cached = self.cached.lock().await;
        if let Some((at, text)) = cached.as_ref()
            && at.elapsed() < CACHE_FOR
        {
            return text.clone();
        }
        let text: Arc<str> = self.measure().await.into();
        *cached = Some((Instant::now(), text.clone()));
        text
    }

    async fn measure(&self) -> String {
        let (reading, held) = tokio::join!(
            within_timeout(self.read_ledger()),
            within_timeout(self.redis.held(&self.windows)),
        );
        let mut out = Exposition::default();
        let postgres_up = match reading {
            Ok(reading) => {
                out.ledger(&reading);
                true
            }
            Err(err) => {
                tracing::warn!(error = %err, "job gauges: the ledger could not be read");
                false
            }
        };
        let redis_up = match held {
            Ok(held) => {
                out.windows(&self.windows, &held);
                true
            }
            Err(err) => {
                tracing::warn!(error = %err, "job gauges: the Redis windows could not be read");
                false
            }
        };
        out.family(
            SOURCE_UP,
            "1 when the job gauges of this scrape could be read from the source, 0 when not.",
            [("postgres", postgres_up), ("redis", redis_up)]
                .map(|(source, up)| (vec![("source", source)], f64::from(u8::from(up)))),
        );
        out.0
    }

    async fn read_ledger(&self) -> StoreResult<LedgerReading> {
        let (figures, backlog, liveness) = tokio::try_join!(
            ledger::queue_figures(&self.pool, queues::ALL),
            ledger::relay_backlog(&self.pool),
            worker_processes::liveness(&self.pool, self.gone_after_secs, KEEP_SILENT_SECS),
        )?;
        Ok(LedgerReading {
            figures,
            backlog: backlog.into_iter().collect(),
            liveness,
        })
    }
}

async fn within_timeout<T, E: Into<anyhow::Error>>(
    reading: impl Future<Output = Result<T, E>>,
) -> anyhow::Result<T> {
    match tokio::time::timeout(SOURCE_TIMEOUT, reading).await {
        Ok(read) => read.map_err(Into::into),
        Err(_) => Err(anyhow::anyhow!("no answer within {SOURCE_TIMEOUT:?}")),
    }
}

/// Prometheus text of gauge families.
#[derive(Default)]
struct Exposition(String);

impl Exposition {
    fn family<'a>(
        &mut self,
        name: &str,
        help: &str,
        samples: impl IntoIterator<Item = (Vec<(&'a str, &'a str)>, f64)>,
    ) {
        write_help_line(&mut self.0, name, help);
        write_type_line(&mut self.0, name, "gauge");
        for (labels, value) in samples {
            let labels: Vec<String> = labels
                .iter()
                .map(|(key, value)| format!("{key}=\"{}\"", sanitize_label_value(value)))
                .collect();
            write_metric_line::<&str, f64>(&mut self.0, name, None, &labels, None, value, None);
        }
        self.0.push('\n');
    }

    fn ledger(&mut self, reading: &LedgerReading) {
        let figures = &reading.figures;
        self.family(
            QUEUE_JOBS,
            "Jobs in the ledger per queue and open status (queued, running, retrying, dead).",
            figures.iter().flat_map(|f| {
                [
                    ("queued", f.queued),
                    ("running", f.running),
                    ("retrying", f.retrying),
                    ("dead", f.dead),
                ]
                .map(|(status, count)| {
                    (
                        vec![("queue", f.queue.as_str()), ("status", status)],
                        count as f64,
                    )
                })
            }),
        );
        self.family(
            OLDEST_QUEUED_AGE,
            "Seconds the oldest due queued job of the queue has waited (0 when none waits).",
            figures
                .iter()
                .map(|f| (vec![("queue", f.queue.as_str())], f.oldest_queued_age_secs)),
        );
        self.family(
            RELAY_BACKLOG,
            "Jobs due but not yet handed to Redis: they wait in the outbox for room in the window.",
            queues::ALL.iter().map(|queue| {
                let backlog = reading.backlog.get(*queue).copied().unwrap_or(0);
                (vec![("queue", *queue)], backlog as f64)
            }),
        );
        self.family(
            WORKER_PROCESSES,
            "Worker processes serving the queue, heard from in the last day, by state: live, \
             gone (silent past worker.gone_after_secs: it died) or stopped (a graceful exit).",
            queues::ALL.iter().flat_map(|queue| {
                PROCESS_STATES.map(|state| {
                    let processes = reading
                        .liveness
                        .iter()
                        .find(|row| row.queue == *queue && row.state == state)
                        .map_or(0, |row| row.processes);
                    (vec![("queue", *queue), ("state", state)], processes as f64)
                })
            }),
        );
    }

    fn windows(&mut self, windows: &[(String, usize)], held: &[usize]) {
        self.family(
            RELAY_WINDOW_HELD,
            "Job messages Redis holds for the queue now (at most its window).",
            windows
                .iter()
                .zip(held)
                .map(|((queue, _), held)| (vec![("queue", queue.as_str())], *held as f64)),
        );
        self.family(
            RELAY_WINDOW_SIZE,
            "The queue's configured window: the most messages Redis holds for it at once.",
            windows
                .iter()
                .map(|(queue, window)| (vec![("queue", queue.as_str())], *window as f64)),
        );
    }
}
