//! One worker process: an apalis worker per queue it serves, fed by our Redis consumer (see
//! [`crate::consumer`]), the claim book that records their outcomes, the health endpoint, and
//! the upkeep every process runs (see [`crate::upkeep`]).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use apalis::prelude::{Monitor, ParallelizeExt, WorkerBuilder, WorkerBuilderExt};
use rand::Rng;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use comptoir_domain::config::Settings;
use comptoir_domain::{db, ledger};
use comptoir_jobs::catalogue_cache::CatalogueCache;
use comptoir_jobs::{Producer, RedisTransport, RepeatedFailure, metrics, queues};
use comptoir_storage::Storage;

use crate::claims::ClaimBook;
use crate::consumer::{Fetcher, QueueConsumer};
use crate::health::{self, Health};
use crate::heartbeat::Heartbeat;
use crate::retry::Backoff;
use crate::runner::{self, InFlight, Runner};
use crate::{handlers, upkeep};

/// A unique name per process (`<prefix>-<host>-<pid>-<random>`): claims in the ledger are held
/// by worker name, so two processes sharing one would renew and finish each other's claims.
pub fn worker_name(prefix: &str) -> String {
    let host = host_name();
    let suffix: u16 = rand::rng().random();
    format!("{prefix}-{host}-{}-{suffix:04x}", std::process::id())
}

pub fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map_or_else(|_| "host".to_owned(), |h| h.trim().to_owned())
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

    /// Serves until `shutdown` resolves, then stops fetching, gives in-flight jobs
    /// `worker.shutdown_timeout_secs` to finish, records their outcomes and hands back the
    /// claims that did not run. Fails when a consumer could not recover for
    /// `worker.unhealthy_exit_secs`, so that the supervisor restarts the process.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let settings = &self.settings;
        // Installed before the first job is counted; served at the health endpoint's /metrics.
        metrics::prometheus();
        metrics::register_runs(&self.queues);
        let pool = db::pool(&settings.database).context("database.url")?;
        wait_for_database(&pool, settings.jobs.log_repeat()).await;
        if settings.database.migrate_on_start {
            db::migrate(&pool).await.context("running migrations")?;
        }
        let ledger_pool = db::ledger_pool(&settings.database).context("database.url")?;
        let transport = RedisTransport::new(&settings.redis).context("redis.url")?;
        let producer = Producer::new(settings);
        let storage = Storage::from_settings(&settings.storage).context("storage")?;
        let stop_upkeep = CancellationToken::new();
        let mut tasks = upkeep::spawn(
            settings,
            &ledger_pool,
            &pool,
            &transport,
            &producer,
            &stop_upkeep,
        );

        let book = ClaimBook::start(
            ledger_pool.clone(),
            self.name.clone(),
            settings.jobs.lease(),
            settings.jobs.log_repeat(),
        );
        let runner = Arc::new(Runner {
            book: book.clone(),
            backoff: Backoff {
                base: Duration::from_millis(settings.jobs.backoff_base_ms),
                max: Duration::from_millis(settings.jobs.backoff_max_ms),
            },
            handlers: handlers::build(
                settings,
                &pool,
                &producer,
                &CatalogueCache::new(transport.clone()),
                &storage,
            )?,
            in_flight: InFlight::default(),
        });
        let heartbeat = Heartbeat {
            pool: ledger_pool.clone(),
            name: self.name.clone(),
            every: Duration::from_secs(settings.worker.heartbeat_secs.max(1)),
            in_flight: runner.in_flight.clone(),
        };
        let (beat_settings, beat_queues, beat_stop) =
            (settings.clone(), self.queues.clone(), stop_upkeep.clone());
        tasks.spawn(async move { heartbeat.run(&beat_settings, &beat_queues, beat_stop).await });
        let consumers: Vec<Arc<QueueConsumer>> = self
            .queues
            .iter()
            .map(|queue| {
                let queue_settings = &settings.jobs.queues[queue];
                Arc::new(QueueConsumer::new(Fetcher {
                    queue: queue.clone(),
                    transport: transport.clone(),
                    pool: ledger_pool.clone(),
                    worker: self.name.clone(),
                    lease: settings.jobs.lease(),
                    batch: queue_settings.fetch_batch(),
                    block: Duration::from_millis(settings.jobs.pop_block_ms),
                    buffer: Default::default(),
                    book: book.clone(),
                    relay_kick: producer.kicker(),
                    health: Arc::new(RepeatedFailure::new(
                        "queue consumer",
                        settings.jobs.log_repeat(),
                    )),
                    start_delay: Duration::ZERO,
                }))
            })
            .collect();

        let health = Arc::new(Health {
            consumers: consumers
                .iter()
                .map(|consumer| (consumer.queue().to_owned(), consumer.health().clone()))
                .collect(),
            give_up_after: Duration::from_secs(settings.worker.unhealthy_exit_secs),
        });
        let listener = TcpListener::bind(settings.worker.health_bind)
            .await
            .context("worker.health_bind")?;
        let health_addr = listener.local_addr()?;
        tasks.spawn(health::serve(listener, health.clone(), stop_upkeep.clone()));
        tasks.spawn(metrics::upkeep(stop_upkeep.clone()));
        let give_up = CancellationToken::new();
        tasks.spawn(watchdog(
            health.clone(),
            give_up.clone(),
            stop_upkeep.clone(),
        ));

        let mut monitor = Monitor::new();
        for consumer in &consumers {
            let concurrency = settings.queue_concurrency(consumer.queue());
            let worker = format!("{}.{}", self.name, consumer.queue());
            let (consumer, runner) = (consumer.clone(), runner.clone());
            monitor = monitor.register(move |restarts| {
                WorkerBuilder::new(worker.clone())
                    .backend(consumer.backend(restarts))
                    .concurrency(concurrency)
                    .parallelize(tokio::spawn)
                    .data(runner.clone())
                    .build(runner::handle)
            });
        }
        tracing::info!(worker = %self.name, queues = ?self.queues, health = %health_addr, "comptoir-worker running");
        let stalled = give_up.clone();
        let served = monitor
            .should_restart(|worker, error| {
                tracing::error!(worker = %worker.name(), %error, "worker stopped with an error; restarting after a pause");
                true
            })
            .shutdown_timeout(Duration::from_secs(settings.worker.shutdown_timeout_secs))
            .run_with_signal(async move {
                tokio::select! {
                    () = shutdown => tracing::info!("shutdown requested: no new jobs are fetched"),
                    () = stalled.cancelled() => {}
                }
                Ok(())
            })
            .await;
        for consumer in &consumers {
            book.release_unstarted(consumer.take_unstarted()).await;
        }
        book.shutdown().await;
        stop_upkeep.cancel();
        while tasks.join_next().await.is_some() {}
        served.context("worker monitor")?;
        if give_up.is_cancelled() {
            anyhow::bail!(
                "a queue consumer could not recover; exiting so the supervisor restarts the process"
            );
        }
        tracing::info!(worker = %self.name, "comptoir-worker stopped");
        Ok(())
    }
}

/// Waits for PostgreSQL instead of failing: a worker replaced during an outage starts once it
/// ends, as one started before Redis does.
async fn wait_for_database(pool: &sqlx::PgPool, log_repeat: Duration) {
    let failures = RepeatedFailure::new("waiting for the database", log_repeat);
    while let Err(err) = ledger::ping(pool).await {
        failures.failed(&err);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    failures.succeeded();
}

/// Ends the process (through `give_up`) once a consumer has failed for too long.
async fn watchdog(health: Arc<Health>, give_up: CancellationToken, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        if let Some((queue, since)) = health.beyond_recovery() {
            tracing::error!(
                queue,
                failing_for_secs = since.as_secs(),
                "queue consumer cannot recover; stopping the process"
            );
            give_up.cancel();
            return;
        }
    }
}
