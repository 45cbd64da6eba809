//! Configuration for the real `comptoir-worker` binary started by tests and benchmarks.

use std::path::Path;

use comptoir_domain::config::Settings;

/// Environment variables that give the worker binary the same configuration as `settings`.
pub fn worker_env(settings: &Settings) -> Vec<(String, String)> {
    let config_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
    let mut env = vec![
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
    ];
    env.extend(payment_env(settings));
    env
}

/// The payment providers' endpoints and credentials, and the timings of the payment sweep.
fn payment_env(settings: &Settings) -> Vec<(String, String)> {
    let payments = &settings.payments;
    let pairs = [
        ("SERVER__PUBLIC_URL", settings.server.public_url.clone()),
        (
            "ORDERS__UNPAID_TIMEOUT_MINS",
            settings.orders.unpaid_timeout_mins.to_string(),
        ),
        (
            "PAYMENTS__REQUERY_AFTER_SECS",
            payments.requery_after_secs.to_string(),
        ),
        (
            "PAYMENTS__SWEEP_INTERVAL_SECS",
            payments.sweep_interval_secs.to_string(),
        ),
        (
            "PAYMENTS__STRIPE__API_BASE",
            payments.stripe.api_base.clone(),
        ),
        (
            "PAYMENTS__STRIPE__SECRET_KEY",
            payments.stripe.secret_key.expose().to_owned(),
        ),
        (
            "PAYMENTS__STRIPE__WEBHOOK_SECRET",
            payments.stripe.webhook_secret.expose().to_owned(),
        ),
        (
            "PAYMENTS__STRIPE__EXPIRE_AFTER_MINS",
            payments.stripe.expire_after_mins.to_string(),
        ),
        (
            "PAYMENTS__CINETPAY__API_BASE",
            payments.cinetpay.api_base.clone(),
        ),
        (
            "PAYMENTS__CINETPAY__API_KEY",
            payments.cinetpay.api_key.expose().to_owned(),
        ),
        (
            "PAYMENTS__CINETPAY__SITE_ID",
            payments.cinetpay.site_id.clone(),
        ),
        (
            "PAYMENTS__CINETPAY__SECRET_KEY",
            payments.cinetpay.secret_key.expose().to_owned(),
        ),
        (
            "PAYMENTS__CINETPAY__EXPIRE_AFTER_MINS",
            payments.cinetpay.expire_after_mins.to_string(),
        ),
        (
            "PAYMENTS__PAYGATE__API_BASE",
            payments.paygate.api_base.clone(),
        ),
        (
            "PAYMENTS__PAYGATE__AUTH_TOKEN",
            payments.paygate.auth_token.expose().to_owned(),
        ),
        (
            "PAYMENTS__PAYGATE__EXPIRE_AFTER_MINS",
            payments.paygate.expire_after_mins.to_string(),
        ),
    ];
    pairs
        .into_iter()
        .map(|(key, value)| (format!("COMPTOIR__{key}"), value))
        .collect()
}
