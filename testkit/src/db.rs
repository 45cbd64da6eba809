//! Fresh databases and per-test settings.

use figment::providers::Serialized;
use sqlx::{Connection, Executor, PgConnection};

use comptoir_domain::config::Settings;

/// The server that hosts the test databases (trust auth on this machine kind). TLS over
/// loopback protects nothing and costs the server a tenth of its CPU per statement.
pub fn admin_url() -> String {
    std::env::var("COMPTOIR_TEST_DATABASE_ADMIN_URL").unwrap_or_else(|_| {
        "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable".to_owned()
    })
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
    database_url(&admin, &name)
}

/// `url` with its database replaced by `database`, keeping its parameters.
fn database_url(url: &str, database: &str) -> String {
    let (address, query) = url
        .split_once('?')
        .map_or((url, None), |(a, q)| (a, Some(q)));
    let base = address.rsplit_once('/').map_or(address, |(base, _)| base);
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
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

#[cfg(test)]
mod tests {
    use super::database_url;

    #[test]
    fn a_database_url_keeps_the_servers_parameters() {
        assert_eq!(
            database_url("postgres://u@h:1/postgres?sslmode=disable", "t1"),
            "postgres://u@h:1/t1?sslmode=disable"
        );
        assert_eq!(
            database_url("postgres://u@h:1/postgres", "t1"),
            "postgres://u@h:1/t1"
        );
    }
}
