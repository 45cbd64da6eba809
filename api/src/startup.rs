//! Builds the HTTP servers (API and metrics) from settings: `build()` binds, `port()` tells
//! where, `run_until_stopped()` serves. Tests bind port 0.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use comptoir_domain::config::Settings;
use comptoir_domain::db;
use comptoir_jobs::catalogue_cache::CatalogueCache;
use comptoir_jobs::{Producer, RedisTransport, Relay};

use crate::auth::password;
use crate::auth::tokens::TokenKeys;
use crate::catalogue_cache::PageCache;
use crate::connections::ConnectionTable;
use crate::ledger_gauges::LedgerGauges;
use crate::limits::{self, Limits};
use crate::state::AppState;
use crate::views::ViewCounter;
use crate::webhook_intake::WebhookIntake;
use crate::{body_timeout, connections, console, extract, json_bodies, observe, routes};

pub struct Application {
    api: Server,
    metrics: Server,
    port: u16,
    metrics_port: u16,
    /// The outbox relay and the view-count flusher, stopped after the servers.
    background: JoinSet<()>,
    stop_background: CancellationToken,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.server.bind).context("server.bind")?;
        Self::build_on(settings, listener).await
    }

    /// Serves on a listener already bound, so a caller binding port 0 knows the address (and
    /// so `server.public_url`) before the settings are frozen.
    pub async fn build_on(settings: Settings, listener: TcpListener) -> anyhow::Result<Self> {
        let settings = Arc::new(settings);
        // Installed before the first request is counted.
        comptoir_jobs::metrics::prometheus();
        let pool = db::pool(&settings.database).context("database.url")?;
        if settings.database.migrate_on_start {
            db::migrate(&pool).await.context("running migrations")?;
        }
        let redis = RedisTransport::new(&settings.redis).context("redis.url")?;
        let producer = Producer::new(&settings);
        let stop_background = CancellationToken::new();
        let mut background = JoinSet::new();
        // Pushes committed jobs to Redis right after each commit (and retries while Redis is down).
        let relay = Relay::new(
            db::ledger_pool(&settings.database).context("database.url")?,
            redis.clone(),
            &settings.jobs,
            producer.kicker(),
        );
        background.spawn(relay.run(stop_background.clone()));
        background.spawn(comptoir_jobs::metrics::upkeep(stop_background.clone()));
        let (webhook_intake, intake_task) =
            WebhookIntake::new(pool.clone(), producer.clone(), stop_background.clone());
        background.spawn(intake_task);
        let views = Arc::new(ViewCounter::default());
        let (flusher, flush_pool, flush_stop) =
            (views.clone(), pool.clone(), stop_background.clone());
        background.spawn(async move { flusher.run(flush_pool, flush_stop).await });

        let gauges = web::Data::new(LedgerGauges::new(pool.clone(), redis.clone(), &settings));
        let state = web::Data::new(AppState {
            pool,
            tokens: TokenKeys::new(&settings.auth),
            producer,
            webhook_intake,
            limits: Limits::new(redis.clone(), &settings.rate_limits),
            catalogue: PageCache::new(
                CatalogueCache::new(redis.clone()),
                settings.catalogue.cache_ttl_secs,
            ),
            redis,
            dummy_password_hash: password::dummy_hash().await?,
            views,
            storage: comptoir_storage::Storage::from_settings(&settings.storage)
                .context("storage")?,
            settings: settings.clone(),
        });

        let port = listener.local_addr()?.port();
        let json_limit = settings.server.json_limit_bytes;
        let connections = ConnectionTable::new(
            settings.server.max_connections_per_ip,
            settings.rate_limits.trusted_proxies.clone(),
        );
        let mut api = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(extract::json_config(json_limit))
                .app_data(extract::query_config())
                .app_data(extract::path_config())
                .wrap(from_fn(json_bodies::checked))
                .wrap(from_fn(body_timeout::idle_timeout))
                .wrap(from_fn(routes::methods::head_as_get))
                .wrap(from_fn(limits::per_ip))
                .wrap(from_fn(connections::enforce))
                .wrap(Compress::default())
                .wrap(from_fn(observe::observe))
                // Before the API's routes, whose default service answers every other path.
                .configure(console::configure)
                .configure(routes::configure)
        })
        .on_connect(connections.on_connect())
        .keep_alive(Duration::from_secs(settings.server.keep_alive_secs))
        .max_connections(settings.server.max_connections_per_worker)
        .listen(listener)?;
        if settings.server.workers > 0 {
            api = api.workers(settings.server.workers);
        }
        let api = api.shutdown_timeout(30).run();

        let metrics_listener =
            TcpListener::bind(settings.server.metrics_bind).context("server.metrics_bind")?;
        let metrics_port = metrics_listener.local_addr()?.port();
        let metrics = HttpServer::new(move || {
            App::new()
                .app_data(gauges.clone())
                .route("/metrics", web::get().to(routes::health::metrics))
        })
        .workers(1)
        .listen(metrics_listener)?
        .run();

        tracing::info!(port, metrics_port, "comptoir-api listening");
        Ok(Self {
            api,
            metrics,
            port,
            metrics_port,
            background,
            stop_background,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn metrics_port(&self) -> u16 {
        self.metrics_port
    }

    /// Serves until SIGINT/SIGTERM (actix handles both), then stops the metrics listener and
    /// the background tasks (the view counts are flushed one last time).
    pub async fn run_until_stopped(mut self) -> anyhow::Result<()> {
        let metrics = self.metrics.handle();
        let metrics_task = tokio::spawn(self.metrics);
        let served = self.api.await;
        metrics.stop(true).await;
        let _ = metrics_task.await;
        self.stop_background.cancel();
        while self.background.join_next().await.is_some() {}
        served.context("API server")
    }
}
