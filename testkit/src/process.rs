//! Configuration for the real `comptoir-worker` binary started by tests and benchmarks.

use std::path::Path;

use comptoir_domain::config::Settings;

/// Environment variables that give the worker binary the same configuration as `settings`.
pub fn worker_env(settings: &Settings) -> Vec<(String, String)> {
    let config_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
    vec![
        ("COMPTOIR_ENV".into(), "test".into()),
        (
            "COMPTOIR_CONFIG_DIR".into(),
            config_dir.display().to_string(),
        ),
        (
            "COMPTOIR__DATABASE__URL".into(),
            settings.database.url.expose().to_owned(),
        ),
        (
            "COMPTOIR__REDIS__URL".into(),
            settings.redis.url.expose().to_owned(),
        ),
        (
            "COMPTOIR__REDIS__NAMESPACE".into(),
            settings.redis.namespace.clone(),
        ),
        (
            "COMPTOIR__SMTP__PORT".into(),
            settings.smtp.port.to_string(),
        ),
        (
            "COMPTOIR__SMTP__TIMEOUT_SECS".into(),
            settings.smtp.timeout_secs.to_string(),
        ),
        (
            "COMPTOIR__JOBS__HOUSEKEEPING_INTERVAL_SECS".into(),
            settings.jobs.housekeeping_interval_secs.to_string(),
        ),
        (
            "COMPTOIR__JOBS__SHOP_SWEEP_INTERVAL_SECS".into(),
            settings.jobs.shop_sweep_interval_secs.to_string(),
        ),
        (
            "COMPTOIR__WORKER__HEALTH_BIND".into(),
            settings.worker.health_bind.to_string(),
        ),
        (
            "COMPTOIR__STORAGE__ROOT".into(),
            settings.storage.root.display().to_string(),
        ),
        (
            "COMPTOIR__IMPORTS__BATCH_ROWS".into(),
            settings.imports.batch_rows.to_string(),
        ),
        ("RUST_LOG".into(), "info".into()),
    ]
}
