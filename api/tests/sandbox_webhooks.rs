//! The provider sandbox and our webhooks check each other: callbacks the sandbox signs as Stripe
//! and CinetPay sign (with no code shared with our verifiers) are accepted and stored once.

use std::time::Duration;

use serde_json::{Value, json};

use comptoir_sandbox::{Sandbox, Settings};
use comptoir_testkit::app::TestApp;
use comptoir_testkit::spawn_app_with;
use comptoir_testkit::wait::wait_until;

const STRIPE_KEY: &str = "sk_test_crosscheck";
const STRIPE_WHSEC: &str = "whsec_crosscheck";
const CINETPAY_APIKEY: &str = "cp-crosscheck";
const CINETPAY_SITE: &str = "445160";
const CINETPAY_SECRET: &str = "cp-secret-crosscheck";

async fn app_and_sandbox() -> (TestApp, String) {
    let app = spawn_app_with(&[
        ("payments.stripe.webhook_secret", json!(STRIPE_WHSEC)),
        ("payments.cinetpay.secret_key", json!(CINETPAY_SECRET)),
    ])
    .await;
    let sandbox = Sandbox::build(Settings {
        bind: "127.0.0.1:0".into(),
        callback_retry_base: Duration::from_millis(50),
        stripe_secret_key: STRIPE_KEY.into(),
        stripe_webhook_secret: STRIPE_WHSEC.into(),
        stripe_webhook_url: Some(format!("{}/v1/webhooks/stripe", app.address)),
        cinetpay_api_key: CINETPAY_APIKEY.into(),
        cinetpay_site_id: CINETPAY_SITE.into(),
        cinetpay_secret_key: CINETPAY_SECRET.into(),
        ..Settings::default()
    })
    .expect("the sandbox starts");
    let base = format!("http://127.0.0.1:{}", sandbox.port());
    tokio::spawn(sandbox.run_until_stopped());
    (app, base)
}

async fn stored_types(app: &TestApp, provider: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT event_type FROM payment_events WHERE provider = $1 ORDER BY received_at, id",
    )
    .bind(provider)
    .fetch_all(&app.pool)
    .await
    .expect("events")
}

#[tokio::test]
async fn stripe_events_signed_by_the_sandbox_are_accepted() {
    let (app, sandbox) = app_and_sandbox().await;
    let session: Value = app
        .client
        .post(format!("{sandbox}/v1/checkout/sessions"))
        .basic_auth(STRIPE_KEY, Some(""))
        .form(&[
            ("mode", "payment"),
            ("line_items[0][price_data][currency]", "eur"),
            ("line_items[0][price_data][unit_amount]", "5000"),
            ("line_items[0][price_data][product_data][name]", "Order"),
            ("line_items[0][quantity]", "1"),
            ("success_url", "https://shop.test/ok"),
            ("cancel_url", "https://shop.test/cancel"),
            ("client_reference_id", "cross-check"),
        ])
        .send()
        .await
        .expect("sandbox answers")
        .json()
        .await
        .expect("session");
    let session_id = session["id"].as_str().expect("session id");
    let paid = app
        .client
        .post(format!("{sandbox}/sandbox/stripe/{session_id}/pay"))
        .send()
        .await
        .expect("sandbox answers");
    assert!(paid.status().is_success(), "{}", paid.status());
    let types = wait_until(
        "the sandbox's Stripe events",
        Duration::from_secs(20),
        || async {
            let types = stored_types(&app, "stripe").await;
            (types.len() >= 2).then_some(types)
        },
    )
    .await;
    assert_eq!(
        types,
        ["checkout.session.completed", "payment_intent.succeeded"]
    );
}

#[tokio::test]
async fn cinetpay_notifications_signed_by_the_sandbox_are_accepted() {
    let (app, sandbox) = app_and_sandbox().await;
    let init: Value = app
        .client
        .post(format!("{sandbox}/v2/payment"))
        .json(&json!({
            "apikey": CINETPAY_APIKEY, "site_id": CINETPAY_SITE, "transaction_id": "CROSS-1",
            "amount": 5000, "currency": "XOF", "description": "Commande CROSS-1",
            "notify_url": format!("{}/v1/webhooks/mobile-money/cinetpay", app.address),
            "return_url": "https://shop.test/return", "channels": "ALL",
        }))
        .send()
        .await
        .expect("sandbox answers")
        .json()
        .await
        .expect("init");
    assert_eq!(init["code"], "201", "{init}");
    let token = init["data"]["payment_token"].as_str().expect("token");
    let paid = app
        .client
        .post(format!("{sandbox}/sandbox/cinetpay/{token}/pay"))
        .send()
        .await
        .expect("sandbox answers");
    assert!(paid.status().is_success(), "{}", paid.status());
    let types = wait_until(
        "the sandbox's CinetPay notification",
        Duration::from_secs(20),
        || async {
            let types = stored_types(&app, "cinetpay").await;
            (!types.is_empty()).then_some(types)
        },
    )
    .await;
    assert_eq!(types, ["notification"]);
}
