//! `comptoir-sandbox`: runs the provider sandbox with settings from the environment (see the
//! library's documentation or sandbox/README.md for the variables and their defaults).

use std::env;
use std::time::Duration;

use anyhow::Context;
use comptoir_sandbox::{Sandbox, Settings};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let sandbox = Sandbox::build(settings_from_env()?)?;
    tracing::info!(
        port = sandbox.port(),
        public_url = sandbox.public_url(),
        "sandbox listening"
    );
    sandbox.run_until_stopped().await?;
    Ok(())
}

fn settings_from_env() -> anyhow::Result<Settings> {
    let defaults = Settings::default();
    let text = |name: &str, default: String| env::var(name).unwrap_or(default);
    let url = |name: &str| env::var(name).ok().filter(|v| !v.is_empty());
    let retry_ms = match env::var("SANDBOX_CALLBACK_RETRY_MS") {
        Ok(ms) => ms
            .parse()
            .with_context(|| format!("SANDBOX_CALLBACK_RETRY_MS is not a number: {ms}"))?,
        Err(_) => defaults.callback_retry_base.as_millis() as u64,
    };
    Ok(Settings {
        bind: text("SANDBOX_BIND", defaults.bind),
        public_url: url("SANDBOX_PUBLIC_URL"),
        merchant_name: text("SANDBOX_MERCHANT_NAME", defaults.merchant_name),
        callback_retry_base: Duration::from_millis(retry_ms),
        stripe_secret_key: text("SANDBOX_STRIPE_SECRET_KEY", defaults.stripe_secret_key),
        stripe_webhook_secret: text(
            "SANDBOX_STRIPE_WEBHOOK_SECRET",
            defaults.stripe_webhook_secret,
        ),
        stripe_webhook_url: url("SANDBOX_STRIPE_WEBHOOK_URL"),
        cinetpay_api_key: text("SANDBOX_CINETPAY_API_KEY", defaults.cinetpay_api_key),
        cinetpay_site_id: text("SANDBOX_CINETPAY_SITE_ID", defaults.cinetpay_site_id),
        cinetpay_secret_key: text("SANDBOX_CINETPAY_SECRET_KEY", defaults.cinetpay_secret_key),
        paygate_auth_token: text("SANDBOX_PAYGATE_AUTH_TOKEN", defaults.paygate_auth_token),
        paygate_callback_url: url("SANDBOX_PAYGATE_CALLBACK_URL"),
        twilio_account_sid: text("SANDBOX_TWILIO_ACCOUNT_SID", defaults.twilio_account_sid),
        twilio_auth_token: text("SANDBOX_TWILIO_AUTH_TOKEN", defaults.twilio_auth_token),
        africastalking_username: text(
            "SANDBOX_AFRICASTALKING_USERNAME",
            defaults.africastalking_username,
        ),
        africastalking_api_key: text(
            "SANDBOX_AFRICASTALKING_API_KEY",
            defaults.africastalking_api_key,
        ),
        africastalking_dlr_url: url("SANDBOX_AFRICASTALKING_DLR_URL"),
    })
}
