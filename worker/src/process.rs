//! One worker process: apalis consumers for its queues, plus the upkeep every process runs
//! (outbox relay, recovery of jobs whose worker died, cron schedules).

use comptoir_storage::Storage;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use apalis::prelude::{BackendExt, Monitor, ParallelizeExt, WorkerBuilder, WorkerBuilderExt};
use apalis_redis::Config;
use rand::Rng;
use serde_json::Value;
use sqlx::PgPool;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use comptoir_domain::config::Settings;
use comptoir_domain::{db, ledger};
use comptoir_jobs::maintenance::{Housekeeping, ShopExpirySweep};
use comptoir_jobs::reports::PurgeReports;
use comptoir_jobs::{Producer, RedisTransport, Relay, queues};

use crate::dispatch::Handlers;
use crate::email::Mailer;
use crate::images::{ImagePipeline, ImageProcessor};
use crate::imports::Importer;
use crate::maintenance::Housekeeper;
use crate::notifications::{self, NotificationFanOut};
use crate::reports::ReportGenerator;
use crate::reports::purge::ReportPurger;
use crate::retry::Backoff;
use crate::runner::{self, Runner};
use crate::scheduler;
use crate::shops::ShopSweeper;
use crate::snapshots::Snapshotter;

/// A unique name per process (`<prefix>-<host>-<pid>-<random>`): apalis-redis tracks in-flight
/// tasks per worker name, so two processes sharing a name would hide each other's orphans.
pub fn worker_name(prefix: &str) -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map_or_else(|_| "host".to_owned(), |h| h.trim().to_owned());
    let suffix: u16 = rand::rng().random();
    format!("{prefix}-{host}-{}-{suffix:04x}", std::process::id())
}

pub struct WorkerProcess {
    settings: Arc<Settings>,
    queues: Vec<String>,
    name: String,
}

impl WorkerProcess {
    /// Checks that every queue is known and configured.
    pub fn new(settings: Settings, queues: Vec<String>) -> anyhow::Result<Self> {
        if queues.is_empty() {
            anyhow::bail!(
                "no queue to serve; known queues: {}",
                queues::ALL.join(", ")
            );
        }
        for queue in &queues {
            if !queues::ALL.contains(&queue.as_str()) {
                anyhow::bail!(
                    "unknown queue `{queue}`; known queues: {}",
                    queues::ALL.join(", ")
                );
            }
            if !settings.jobs.queues.contains_key(queue) {
                anyhow::bail!("queue `{queue}` has no [jobs.queues.{queue}] configuration");
            }
        }
        let name = worker_name(&settings.worker.name_prefix);
        Ok(Self {
            settings: Arc::new(settings),
            queues,
            name,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Serves until `shutdown` resolves, then stops fetching and gives in-flight jobs
    /// `worker.shutdown_timeout_secs` to finish (an unfinished one is re-run after its lease).
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let settings = &self.settings;
        let pool = db::pool(&settings.database).context("database.url")?;
        if settings.database.migrate_on_start {
            db::migrate(&pool).await.context("running migrations")?;
        }
        let transport = RedisTransport::new(&settings.redis).context("redis.url")?;
        let producer = Producer::new(settings);
        let storage = Storage::from_settings(&settings.storage).context("storage")?;
        let pipeline = ImagePipeline::new(&settings.images, &settings.clamd, storage.clone());
        let upkeep = CancellationToken::new();
        let mut tasks = self.spawn_upkeep(&pool, &transport, &producer, &upkeep);

        let runner = Arc::new(Runner {
            pool: pool.clone(),
            worker_name: self.name.clone(),
            lease: Duration::from_secs(settings.jobs.lease_secs),
            backoff: Backoff {
                base: Duration::from_millis(settings.jobs.backoff_base_ms),
                max: Duration::from_millis(settings.jobs.backoff_max_ms),
            },
            handlers: Handlers {
                mailer: Mailer::new(
                    pool.clone(),
                    &settings.smtp,
                    Duration::from_secs(settings.jobs.lease_secs),
                )?,
                housekeeper: Housekeeper {
                    pool: pool.clone(),
                    transport: transport.clone(),
                    ledger_retention_days: settings.jobs.ledger_retention_days,
                },
                shop_sweeper: ShopSweeper {
                    pool: pool.clone(),
                    producer: producer.clone(),
                },
                snapshotter: Snapshotter {
                    pool: pool.clone(),
                    storage: storage.clone(),
                },
                importer: Importer {
                    pool: pool.clone(),
                    storage: storage.clone(),
                    settings: settings.imports.clone(),
                    pipeline: pipeline.clone(),
                },
                notifier: NotificationFanOut {
                    pool: pool.clone(),
                    producer: producer.clone(),
                    page_size: notifications::PAGE_SIZE,
                },
                images: ImageProcessor {
                    pool: pool.clone(),
                    storage: storage.clone(),
                    pipeline,
                },
                reporter: ReportGenerator {
                    pool: pool.clone(),
                    storage: storage.clone(),
                    producer: producer.clone(),
                    settings: settings.reports.clone(),
                    public_url: settings.server.public_url.clone(),
                },
                report_purger: ReportPurger {
                    pool: pool.clone(),
                    storage: storage.clone(),
                },
            },
        });

        let mut monitor = Monitor::new();
        for queue in &self.queues {
            let concurrency = settings.queue_concurrency(queue);
            // One task per fetch: larger batches delay heartbeats (and hoard work a sibling
            // process could run). Two-second heartbeats, three missed = orphaned after 6 s.
            let config = Config::default()
                .heartbeat_interval(Duration::from_secs(2))
                .missed_heartbeats(3)
                .batch_size(1);
            let storage = connect_storage(&transport, queue, config)
                .await?
                .poll_with_interval(Duration::from_millis(settings.jobs.poll_interval_ms));
            let worker = format!("{}.{queue}", self.name);
            let runner = runner.clone();
            monitor = monitor.register(move |_restarts| {
                WorkerBuilder::new(worker.clone())
                    .backend(storage.clone())
                    .concurrency(concurrency)
                    .parallelize(tokio::spawn)
                    .data(runner.clone())
                    .build(runner::handle)
            });
        }
        tracing::info!(worker = %self.name, queues = ?self.queues, "comptoir-worker running");
        let served = monitor
            .should_restart(|worker, error| {
                tracing::error!(worker = %worker.name(), %error, "worker stopped with an error; restarting");
                true
            })
            .shutdown_timeout(Duration::from_secs(settings.worker.shutdown_timeout_secs))
            .run_with_signal(async move {
                shutdown.await;
                tracing::info!("shutdown requested: no new jobs are fetched");
                Ok(())
            })
            .await;
        upkeep.cancel();
        while tasks.join_next().await.is_some() {}
        served.context("worker monitor")?;
        tracing::info!(worker = %self.name, "comptoir-worker stopped");
        Ok(())
    }

    fn spawn_upkeep(
        &self,
        pool: &PgPool,
        transport: &RedisTransport,
        producer: &Producer,
        stop: &CancellationToken,
    ) -> JoinSet<()> {
        let settings = &self.settings;
        let mut tasks = JoinSet::new();
        let relay = Relay::new(
            pool.clone(),
            transport.clone(),
            &settings.jobs,
            producer.kicker(),
        );
        tasks.spawn(relay.run(stop.clone()));
        tasks.spawn(recover_stalled_jobs(
            pool.clone(),
            Duration::from_secs(settings.jobs.lease_secs),
            Duration::from_secs(settings.jobs.redeliver_after_secs),
            stop.clone(),
        ));
        tasks.spawn(scheduler::run_schedule(
            "housekeeping",
            Duration::from_secs(settings.jobs.housekeeping_interval_secs),
            pool.clone(),
            producer.clone(),
            |tick| Housekeeping {
                tick: tick.to_rfc3339(),
            },
            stop.clone(),
        ));
        tasks.spawn(scheduler::run_schedule(
            "shop-expiry",
            Duration::from_secs(settings.jobs.shop_sweep_interval_secs),
            pool.clone(),
            producer.clone(),
            |tick| ShopExpirySweep {
                tick: tick.to_rfc3339(),
            },
            stop.clone(),
        ));
        tasks.spawn(scheduler::run_schedule(
            "reports-purge",
            Duration::from_secs(settings.reports.purge_interval_secs),
            pool.clone(),
            producer.clone(),
            |tick| PurgeReports {
                tick: tick.to_rfc3339(),
            },
            stop.clone(),
        ));
        tasks
    }
}

/// Waits for Redis at start-up instead of failing: workers may start before it.
async fn connect_storage(
    transport: &RedisTransport,
    queue: &str,
    config: Config,
) -> anyhow::Result<apalis_redis::RedisStorage<Value>> {
    let mut warned = false;
    loop {
        match transport.storage(queue, config.clone()).await {
            Ok(storage) => return Ok(storage),
            Err(err) if !warned => {
                tracing::warn!(error = %err, "waiting for redis");
                warned = true;
            }
            Err(_) => {}
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Four times per lease: puts jobs whose worker died (lease expired) back in line, and hands
/// Redis again the jobs whose message was lost.
async fn recover_stalled_jobs(
    pool: PgPool,
    lease: Duration,
    redeliver_after: Duration,
    stop: CancellationToken,
) {
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(lease / 4) => {}
        }
        match ledger::recover_expired_leases(&pool).await {
            Ok(0) => {}
            Ok(recovered) => tracing::warn!(recovered, "jobs recovered from lost workers"),
            Err(err) => tracing::warn!(error = %err, "lease recovery failed"),
        }
        match ledger::redeliver_stale(&pool, redeliver_after).await {
            Ok(0) => {}
            Ok(redelivered) => tracing::warn!(
                redelivered,
                "jobs whose queue message was lost are sent again"
            ),
            Err(err) => tracing::warn!(error = %err, "redelivery sweep failed"),
        }
    }
}
