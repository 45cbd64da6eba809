//! Connection pool and migrations.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool};

use crate::config::DatabaseSettings;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// A lazily connecting pool: the process starts (and reports not-ready) while Postgres is down.
pub fn pool(settings: &DatabaseSettings) -> Result<PgPool, sqlx::Error> {
    Ok(pool_options(settings).connect_lazy_with(connect_options(settings, &[])?))
}

/// The pool of the job ledger's bookkeeping (relay marks, claims, lease renewals, outcomes),
/// whose commits do not wait for the WAL flush. A PostgreSQL crash (not a worker's) can lose
/// the last fraction of a second of them: a job then looks unclaimed or unfinished and runs
/// again, which every handler tolerates by design (at least once, effect once). Jobs themselves
/// are inserted by the business transactions, which stay synchronous: none is ever lost.
pub fn ledger_pool(settings: &DatabaseSettings) -> Result<PgPool, sqlx::Error> {
    let options = connect_options(settings, &[("synchronous_commit", "off")])?;
    Ok(pool_options(settings)
        // No ping before each statement: every ledger statement runs in a loop that retries,
        // so a connection that died with a restarted server costs one retry, not a round trip
        // on every claim.
        .test_before_acquire(false)
        .connect_lazy_with(options))
}

/// A small pool whose connections are opened at once and kept, for a statement that must not
/// wait for a connection to be set up when it runs (see the mailer's record of a sent email).
pub fn warm_pool(settings: &DatabaseSettings, connections: u32) -> Result<PgPool, sqlx::Error> {
    Ok(pool_options(settings)
        .max_connections(connections)
        .min_connections(connections)
        .connect_lazy_with(connect_options(settings, &[])?))
}

fn connect_options(
    settings: &DatabaseSettings,
    extra: &[(&str, &str)],
) -> Result<PgConnectOptions, sqlx::Error> {
    Ok(settings
        .url
        .expose()
        .parse::<PgConnectOptions>()?
        .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500))
        // Statements are prepared once per connection; their optional filters (`$1 IS NULL OR
        // …`) only get index-friendly plans when planned for the actual values.
        .options([("plan_cache_mode", "force_custom_plan")])
        .options(extra.iter().copied()))
}

fn pool_options(settings: &DatabaseSettings) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(Duration::from_secs(settings.acquire_timeout_secs))
}

/// Applies pending migrations. sqlx holds a Postgres advisory lock meanwhile, so several
/// processes starting together apply each migration once.
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}
