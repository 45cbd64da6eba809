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
            "COMPTOIR__JOBS__QUOTE_SWEEP_INTERVAL_SECS".into(),
            settings.jobs.quote_sweep_interval_secs.to_string(),
        ),
        (
            "COMPTOIR__WORKER__HEALTH_BIND".into(),
            settings.worker.health_bind.to_string(),
        ),
        (
            "COMPTOIR__WORKER__HEARTBEAT_SECS".into(),
            settings.worker.heartbeat_secs.to_string(),
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
    env.extend(sms_env(settings));
    env
}

/// The SMS providers, the routes and the one-time code settings.
fn sms_env(settings: &Settings) -> Vec<(String, String)> {
    let (sms, otp) = (&settings.sms, &settings.otp);
    let quoted: Vec<String> = sms
        .allowed_prefixes
        .iter()
        .map(|prefix| format!("{prefix:?}"))
        .collect();
    let mut pairs = vec![
        (
            "SMS__ALLOWED_PREFIXES".to_owned(),
            format!("[{}]", quoted.join(",")),
        ),
        (
            "SMS__FALLBACK_PROVIDER".to_owned(),
            sms.fallback_provider.clone(),
        ),
        (
            "SMS__FALLBACK_AFTER".to_owned(),
            sms.fallback_after.to_string(),
        ),
        ("SMS__SENDER_NAME".to_owned(), sms.sender_name.clone()),
        ("SMS__DEFAULT_LOCALE".to_owned(), sms.default_locale.clone()),
        (
            "SMS__REQUEST_TIMEOUT_SECS".to_owned(),
            sms.request_timeout_secs.to_string(),
        ),
        (
            "SMS__TWILIO__API_BASE".to_owned(),
            sms.twilio.api_base.clone(),
        ),
        (
            "SMS__TWILIO__ACCOUNT_SID".to_owned(),
            sms.twilio.account_sid.clone(),
        ),
        (
            "SMS__TWILIO__AUTH_TOKEN".to_owned(),
            sms.twilio.auth_token.expose().to_owned(),
        ),
        ("SMS__TWILIO__FROM".to_owned(), sms.twilio.from.clone()),
        (
            "SMS__AFRICASTALKING__API_BASE".to_owned(),
            sms.africastalking.api_base.clone(),
        ),
        (
            "SMS__AFRICASTALKING__USERNAME".to_owned(),
            sms.africastalking.username.clone(),
        ),
        (
            "SMS__AFRICASTALKING__API_KEY".to_owned(),
            sms.africastalking.api_key.expose().to_owned(),
        ),
        (
            "SMS__AFRICASTALKING__FROM".to_owned(),
            sms.africastalking.from.clone(),
        ),
        ("OTP__PEPPER".to_owned(), otp.pepper.expose().to_owned()),
        ("OTP__TTL_SECS".to_owned(), otp.ttl_secs.to_string()),
    ];
    // Env keys may hold `+` and `*`: each route is its own variable.
    for (prefix, provider) in &sms.routes {
        pairs.push((format!("SMS__ROUTES__{prefix}"), provider.clone()));
    }
    pairs
        .into_iter()
        .map(|(key, value)| (format!("COMPTOIR__{key}"), value))
        .collect()
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
