//! Fresh databases and per-test settings.

use figment::providers::Serialized;
use sqlx::{Connection, Executor, PgConnection};

use comptoir_domain::config::Settings;

/// The server that hosts the test databases (trust auth on this machine kind).
pub fn admin_url() -> String {
    std::env::var("COMPTOIR_TEST_DATABASE_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Creates an empty database named `comptoir_test_<uuid>` and returns its URL.
pub async fn fresh_database() -> String {
    let name = format!("comptoir_test_{}", uuid::Uuid::now_v7().simple());
    let admin = admin_url();
    let mut conn = PgConnection::connect(&admin)
        .await
        .expect("the test PostgreSQL server is reachable");
    // The name is ours (a UUID), not user input.
    conn.execute(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
        .await
        .expect("can create a test database");
    let base = admin
        .rsplit_once('/')
        .map_or(admin.as_str(), |(base, _)| base);
    format!("{base}/{name}")
}

/// Test configuration (config/default.toml + config/test.toml) on a fresh database, a unique
/// Redis namespace and free ports; `overrides` are `(key, value)` pairs such as
/// `("jobs.max_attempts", 3)`.
pub async fn test_settings(overrides: &[(&str, serde_json::Value)]) -> Settings {
    let mut figment = Settings::figment_for("test")
        .merge(Serialized::default("database.url", fresh_database().await))
        .merge(Serialized::default("database.max_connections", 5))
        .merge(Serialized::default(
            "redis.namespace",
            format!("ct_{}", uuid::Uuid::now_v7().simple()),
        ))
        .merge(Serialized::default("server.bind", "127.0.0.1:0"))
        .merge(Serialized::default("server.metrics_bind", "127.0.0.1:0"))
        .merge(Serialized::default("server.workers", 2))
        .merge(Serialized::default(
            "storage.root",
            std::env::temp_dir().join(format!("comptoir-tests/{}", uuid::Uuid::now_v7().simple())),
        ));
    for (key, value) in overrides {
        figment = figment.merge(Serialized::default(key, value));
    }
    Settings::from_figment(figment).expect("test settings are valid")
}
