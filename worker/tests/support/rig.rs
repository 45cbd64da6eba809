//! The rig: the API, the provider sandbox (payments and SMS) calling its webhooks, and real
//! worker processes on the `payments`, `email`, `reports`, `sms` and `notifications` queues
//! talking to the sandbox as they would to the providers.

use std::process::{Child, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use comptoir_domain::config::Settings;
use comptoir_domain::types::Role;
use comptoir_sandbox::{Sandbox, Settings as SandboxSettings};
use comptoir_testkit::app::TestApp;
use comptoir_testkit::test_settings;

use super::spawn_worker_process_logging;

pub const WAIT: Duration = Duration::from_secs(30);

pub(super) const STRIPE_KEY: &str = "sk_test_rig";
pub(super) const STRIPE_WHSEC: &str = "whsec_rig";
const CINETPAY_APIKEY: &str = "cp-rig-apikey";
const CINETPAY_SITE: &str = "445160";
const CINETPAY_SECRET: &str = "cp-rig-secret";
const PAYGATE_TOKEN: &str = "pg-rig-token";
const TWILIO_SID: &str = "ACrig0000000000000000000000000000";
const TWILIO_TOKEN: &str = "twilio-rig-token";
const AFRICASTALKING_USER: &str = "rig";
const AFRICASTALKING_KEY: &str = "at-rig-key";

pub struct Rig {
    pub app: TestApp,
    /// The sandbox's base URL.
    pub sandbox: String,
    /// What the worker processes are configured with: the sandbox as every provider.
    pub worker_settings: Settings,
    workers: Vec<Child>,
}

impl Rig {
    /// The rig with one worker process; `overrides` adjust the configuration of both sides.
    pub async fn start(overrides: &[(&str, Value)]) -> Self {
        let mut rig = Self::without_worker(overrides).await;
        rig.add_worker();
        rig
    }

    /// The API and the sandbox only: the test starts (and kills) its workers.
    pub async fn without_worker(overrides: &[(&str, Value)]) -> Self {
        Self::assemble(overrides, true).await
    }

    /// The rig with one worker and a sandbox that sends no Stripe events: the test posts them,
    /// duplicated and reordered as it likes.
    pub async fn with_stripe_events_by_test(overrides: &[(&str, Value)]) -> Self {
        let mut rig = Self::assemble(overrides, false).await;
        rig.add_worker();
        rig
    }

    async fn assemble(overrides: &[(&str, Value)], stripe_events: bool) -> Self {
        let mut all = vec![
            ("payments.stripe.secret_key", json!(STRIPE_KEY)),
            ("payments.stripe.webhook_secret", json!(STRIPE_WHSEC)),
            ("payments.cinetpay.api_key", json!(CINETPAY_APIKEY)),
            ("payments.cinetpay.site_id", json!(CINETPAY_SITE)),
            ("payments.cinetpay.secret_key", json!(CINETPAY_SECRET)),
            ("payments.paygate.auth_token", json!(PAYGATE_TOKEN)),
            ("payments.sweep_interval_secs", json!(1)),
            ("sms.allowed_prefixes", json!(["+228", "+225", "+33"])),
            (
                "sms.routes",
                json!({"+228": "africastalking", "*": "twilio"}),
            ),
            ("sms.twilio.account_sid", json!(TWILIO_SID)),
            ("sms.twilio.auth_token", json!(TWILIO_TOKEN)),
            ("sms.twilio.from", json!("+15005550006")),
            ("sms.africastalking.username", json!(AFRICASTALKING_USER)),
            ("sms.africastalking.api_key", json!(AFRICASTALKING_KEY)),
        ];
        all.extend(overrides.iter().cloned());
        let settings = test_settings(&all).await;
        let app = TestApp::spawn(settings.clone()).await;
        let sandbox = Sandbox::build(SandboxSettings {
            bind: "127.0.0.1:0".into(),
            callback_retry_base: Duration::from_millis(50),
            stripe_secret_key: STRIPE_KEY.into(),
            stripe_webhook_secret: STRIPE_WHSEC.into(),
            stripe_webhook_url: stripe_events
                .then(|| format!("{}/v1/webhooks/stripe", app.address)),
            cinetpay_api_key: CINETPAY_APIKEY.into(),
            cinetpay_site_id: CINETPAY_SITE.into(),
            cinetpay_secret_key: CINETPAY_SECRET.into(),
            paygate_auth_token: PAYGATE_TOKEN.into(),
            paygate_callback_url: Some(format!("{}/v1/webhooks/mobile-money/paygate", app.address)),
            twilio_account_sid: TWILIO_SID.into(),
            twilio_auth_token: TWILIO_TOKEN.into(),
            africastalking_username: AFRICASTALKING_USER.into(),
            africastalking_api_key: AFRICASTALKING_KEY.into(),
            africastalking_dlr_url: Some(format!("{}/v1/webhooks/sms/africastalking", app.address)),
            ..SandboxSettings::default()
        })
        .expect("the sandbox starts");
        let sandbox_base = format!("http://127.0.0.1:{}", sandbox.port());
        tokio::spawn(sandbox.run_until_stopped());
        let mut worker_settings = app.settings.clone();
        worker_settings.payments.stripe.api_base = sandbox_base.clone();
        worker_settings.payments.cinetpay.api_base = sandbox_base.clone();
        worker_settings.payments.paygate.api_base = sandbox_base.clone();
        worker_settings.sms.twilio.api_base = sandbox_base.clone();
        worker_settings.sms.africastalking.api_base = sandbox_base.clone();
        Self {
            app,
            sandbox: sandbox_base,
            worker_settings,
            workers: Vec::new(),
        }
    }

    /// Starts one more worker process on the payment, email, report, SMS and notification
    /// queues.
    pub fn add_worker(&mut self) {
        self.add_worker_logging(Stdio::null());
    }

    /// Like [`Rig::add_worker`], the worker's log going to `log`.
    pub fn add_worker_logging(&mut self, log: Stdio) {
        self.workers.push(spawn_worker_process_logging(
            &self.worker_settings,
            "payments,email,reports,sms,notifications",
            log,
        ));
    }

    /// Kills (SIGKILL) every worker process.
    pub fn kill_workers(&mut self) {
        for mut worker in self.workers.drain(..) {
            let _ = worker.kill();
            let _ = worker.wait();
        }
    }

    /// Makes the next `count` calls to `provider`'s API answer `status`.
    pub async fn outage(&self, provider: &str, status: u16, count: u32) {
        self.fault(json!({"provider": provider, "status": status, "count": count}))
            .await;
    }

    /// Makes the next call to `provider`'s API hang for `delay` before it answers.
    pub async fn stall(&self, provider: &str, delay: Duration) {
        self.fault(json!({"provider": provider, "delay_ms": delay.as_millis(), "count": 1}))
            .await;
    }

    async fn fault(&self, fault: Value) {
        let started = self
            .app
            .client
            .post(format!("{}/sandbox/faults", self.sandbox))
            .json(&fault)
            .send()
            .await
            .expect("the sandbox answers");
        assert!(started.status().is_success());
    }

    /// An admin's token.
    pub async fn admin(&self) -> String {
        self.app.user_with_role(Role::Maintainer).await.1
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.kill_workers();
    }
}
