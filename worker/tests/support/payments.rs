//! A payment rig: the API, the provider sandbox calling its webhooks, and a real worker process
//! on the `payments` and `email` queues talking to the sandbox as it would to the providers.

use std::process::Child;
use std::time::Duration;

use chrono::Utc;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use uuid::Uuid;

use comptoir_domain::config::Settings;
use comptoir_domain::types::Role;
use comptoir_sandbox::{Sandbox, Settings as SandboxSettings};
use comptoir_testkit::app::{TestApp, unique_email};
use comptoir_testkit::market::{TestProduct, TestShop};
use comptoir_testkit::{test_settings, wait_until};

use super::spawn_worker_process;

pub const WAIT: Duration = Duration::from_secs(30);

const STRIPE_KEY: &str = "sk_test_rig";
const STRIPE_WHSEC: &str = "whsec_rig";
const CINETPAY_APIKEY: &str = "cp-rig-apikey";
const CINETPAY_SITE: &str = "445160";
const CINETPAY_SECRET: &str = "cp-rig-secret";
const PAYGATE_TOKEN: &str = "pg-rig-token";

pub struct PaymentRig {
    pub app: TestApp,
    /// The sandbox's base URL.
    pub sandbox: String,
    /// What the worker processes are configured with: the sandbox as every provider.
    pub worker_settings: Settings,
    workers: Vec<Child>,
}

/// A pending order of one product, placed by a fresh client.
pub struct Order {
    pub id: Uuid,
    pub product: Uuid,
    pub shop: TestShop,
    pub client_email: String,
    pub client_token: String,
}

impl PaymentRig {
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
            ..SandboxSettings::default()
        })
        .expect("the sandbox starts");
        let sandbox_base = format!("http://127.0.0.1:{}", sandbox.port());
        tokio::spawn(sandbox.run_until_stopped());
        let mut worker_settings = settings;
        worker_settings.server.public_url = app.address.clone();
        worker_settings.payments.stripe.api_base = sandbox_base.clone();
        worker_settings.payments.cinetpay.api_base = sandbox_base.clone();
        worker_settings.payments.paygate.api_base = sandbox_base.clone();
        Self {
            app,
            sandbox: sandbox_base,
            worker_settings,
            workers: Vec::new(),
        }
    }

    /// Starts one more worker process on the payment, email and report queues.
    pub fn add_worker(&mut self) {
        self.workers.push(spawn_worker_process(
            &self.worker_settings,
            "payments,email,reports",
        ));
    }

    /// Kills (SIGKILL) every worker process.
    pub fn kill_workers(&mut self) {
        for mut worker in self.workers.drain(..) {
            let _ = worker.kill();
            let _ = worker.wait();
        }
    }

    /// A pending order for `quantity` of a product at `price` in `currency`.
    pub async fn order(&self, price: i64, currency: &str, quantity: i32) -> Order {
        let shop = self.app.shop().await;
        let product = self
            .app
            .product(
                shop.id,
                TestProduct {
                    currency,
                    ..TestProduct::new(price, 10)
                },
            )
            .await;
        let client_email = unique_email("payer");
        let session = self
            .app
            .register(&client_email, "correct horse battery")
            .await;
        let client_token = session["access_token"].as_str().expect("token").to_owned();
        let placed = self
            .app
            .post(
                "/v1/orders",
                Some(&client_token),
                json!({"items": [{"product_id": product, "quantity": quantity}]}),
            )
            .await;
        assert_eq!(placed.status(), 201, "order placed");
        let placed: Value = placed.json().await.expect("order");
        Order {
            id: placed["id"]
                .as_str()
                .and_then(|id| id.parse().ok())
                .expect("id"),
            product,
            shop,
            client_email,
            client_token,
        }
    }

    /// Starts paying `order` with `provider` (PayGate with a Togolese phone); the payment id.
    pub async fn start_payment(&self, order: &Order, provider: &str) -> Uuid {
        let body = match provider {
            "paygate" => json!({"provider": provider, "phone": "+22890112233"}),
            _ => json!({"provider": provider, "return_url": "https://shop.test/back"}),
        };
        let started = self
            .app
            .post(
                &format!("/v1/orders/{}/payments", order.id),
                Some(&order.client_token),
                body,
            )
            .await;
        assert_eq!(started.status(), 202, "payment started");
        let payment: Value = started.json().await.expect("payment");
        payment["id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .expect("id")
    }

    /// The payment as its client reads it.
    pub async fn payment(&self, order: &Order, id: Uuid) -> Value {
        let read = self
            .app
            .get(&format!("/v1/payments/{id}"), Some(&order.client_token))
            .await;
        assert_eq!(read.status(), 200);
        read.json().await.expect("payment")
    }

    /// Waits until the payment is `status`, and returns it.
    pub async fn wait_for_payment(&self, order: &Order, id: Uuid, status: &str) -> Value {
        wait_until(&format!("payment {id} to be {status}"), WAIT, || async {
            let payment = self.payment(order, id).await;
            (payment["status"] == status).then_some(payment)
        })
        .await
    }

    /// Waits until the provider knows the payment, and returns the id its sandbox hooks take:
    /// the Checkout Session or payment token in the checkout URL, PayGate's tx_reference.
    pub async fn checkout_id(&self, order: &Order, id: Uuid) -> String {
        let payment = self.wait_for_payment(order, id, "pending").await;
        match payment["checkout_url"].as_str() {
            Some(url) => url.rsplit('/').next().expect("an id").to_owned(),
            None => payment["provider_ref"]
                .as_str()
                .expect("a provider reference")
                .to_owned(),
        }
    }

    /// A Stripe event signed with the rig's webhook secret, as Stripe signs, posted to the API.
    pub async fn post_stripe_event(&self, event: &Value) -> reqwest::Response {
        let body = event.to_string();
        let timestamp = Utc::now().timestamp();
        let mut mac = Hmac::<Sha256>::new_from_slice(STRIPE_WHSEC.as_bytes()).expect("key");
        mac.update(format!("{timestamp}.{body}").as_bytes());
        let signature = hex::encode(mac.finalize().into_bytes());
        self.app
            .client
            .post(format!("{}/v1/webhooks/stripe", self.app.address))
            .header("Stripe-Signature", format!("t={timestamp},v1={signature}"))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .expect("the API answers")
    }

    /// The customer's choice at the sandbox's checkout (`pay`, `fail` or `cancel`); returns
    /// the sandbox's state of the payment afterwards (for Stripe: the session and its intent).
    pub async fn customer(&self, provider: &str, checkout_id: &str, action: &str) -> Value {
        let acted = self
            .app
            .client
            .post(format!(
                "{}/sandbox/{provider}/{checkout_id}/{action}",
                self.sandbox
            ))
            .send()
            .await
            .expect("the sandbox answers");
        assert!(acted.status().is_success(), "{action}: {}", acted.status());
        acted.json().await.expect("the sandbox's state")
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

    /// The order's status.
    pub async fn order_status(&self, order: &Order) -> String {
        sqlx::query_scalar("SELECT status FROM orders WHERE id = $1")
            .bind(order.id)
            .fetch_one(&self.app.pool)
            .await
            .expect("order")
    }

    /// An admin's token.
    pub async fn admin(&self) -> String {
        self.app.user_with_role(Role::Maintainer).await.1
    }
}

/// A Stripe event envelope around `object`, with a fresh event id.
pub fn stripe_event(kind: &str, object: Value) -> Value {
    json!({
        "id": format!("evt_{}", Uuid::now_v7().simple()), "object": "event",
        "type": kind, "created": Utc::now().timestamp(), "livemode": false,
        "data": {"object": object},
    })
}

impl Drop for PaymentRig {
    fn drop(&mut self) {
        self.kill_workers();
    }
}
