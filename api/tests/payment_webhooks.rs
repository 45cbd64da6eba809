//! Payment webhooks: verified on the raw body, stored once with their reconciliation job,
//! refused (and nothing stored) when forged, stale or oversized.

use serde_json::{Value, json};
use uuid::Uuid;

use comptoir_testkit::app::{TestApp, assert_problem};
use comptoir_testkit::signing::{self, hmac_hex};
use comptoir_testkit::spawn_app_with;

const STRIPE_SECRET: &str = "whsec_webhook_tests";
const CINETPAY_SECRET: &str = "cinetpay_webhook_tests";

async fn app() -> TestApp {
    spawn_app_with(&[
        ("payments.stripe.webhook_secret", json!(STRIPE_SECRET)),
        ("payments.cinetpay.secret_key", json!(CINETPAY_SECRET)),
    ])
    .await
}

/// A `Stripe-Signature` as Stripe computes it, at `t`, with a `v0` to ignore.
fn stripe_signature(body: &str, t: i64, secret: &str) -> String {
    format!(
        "{},v0={}",
        signing::stripe_signature(body, t, secret),
        "1".repeat(64)
    )
}

fn stripe_event(event_type: &str) -> (String, String) {
    let id = format!("evt_{}", Uuid::now_v7().simple());
    let body = json!({
        "id": id, "object": "event", "type": event_type, "created": 1_700_000_000,
        "livemode": false, "data": {"object": {"id": "cs_test", "object": "checkout.session"}}
    });
    (id, body.to_string())
}

async fn post_stripe(app: &TestApp, body: &str, signature: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}/v1/webhooks/stripe", app.address))
        .header("Content-Type", "application/json")
        .body(body.to_owned());
    if let Some(signature) = signature {
        request = request.header("Stripe-Signature", signature);
    }
    request.send().await.expect("the API answers")
}

/// (events stored, reconciliation jobs queued) for `event_key`.
async fn stored(app: &TestApp, event_key: &str) -> (i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM payment_events WHERE event_key = $1), \
                (SELECT count(*) FROM jobs j JOIN payment_events e \
                   ON j.payload->>'event_id' = e.id::text \
                 WHERE e.event_key = $1 AND j.kind = 'payments.reconcile_event.v1')",
    )
    .bind(event_key)
    .fetch_one(&app.pool)
    .await
    .expect("counts")
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[tokio::test]
async fn a_signed_stripe_event_is_stored_once_with_its_reconciliation() {
    let app = app().await;
    let (id, body) = stripe_event("checkout.session.completed");
    let signature = stripe_signature(&body, now(), STRIPE_SECRET);
    let first = post_stripe(&app, &body, Some(&signature)).await;
    assert_eq!(first.status(), 200);
    assert_eq!(stored(&app, &id).await, (1, 1));

    // Stripe redelivers; an attacker replays: 200, nothing new.
    for _ in 0..3 {
        assert_eq!(
            post_stripe(&app, &body, Some(&signature)).await.status(),
            200
        );
    }
    assert_eq!(stored(&app, &id).await, (1, 1));

    let (event_type,): (String,) =
        sqlx::query_as("SELECT event_type FROM payment_events WHERE event_key = $1")
            .bind(&id)
            .fetch_one(&app.pool)
            .await
            .expect("event");
    assert_eq!(event_type, "checkout.session.completed");
}

#[tokio::test]
async fn unknown_stripe_event_types_are_stored_and_acknowledged() {
    let app = app().await;
    let (id, body) = stripe_event("customer.created");
    let signature = stripe_signature(&body, now(), STRIPE_SECRET);
    assert_eq!(
        post_stripe(&app, &body, Some(&signature)).await.status(),
        200
    );
    assert_eq!(stored(&app, &id).await, (1, 1));
}

#[tokio::test]
async fn forged_stale_or_unsigned_stripe_events_are_refused_and_not_stored() {
    let app = app().await;
    let (id, body) = stripe_event("checkout.session.completed");
    let cases = [
        (
            "wrong secret",
            Some(stripe_signature(&body, now(), "whsec_attacker")),
        ),
        (
            "stale",
            Some(stripe_signature(&body, now() - 301, STRIPE_SECRET)),
        ),
        (
            "only v0",
            Some(format!("t={},v0={}", now(), "ab".repeat(32))),
        ),
        ("garbage", Some("nonsense".to_owned())),
        ("missing", None),
    ];
    for (case, signature) in cases {
        let response = post_stripe(&app, &body, signature.as_deref()).await;
        let problem = assert_problem(response, 400, "invalid_signature").await;
        assert!(problem["detail"].is_string(), "{case}: {problem}");
    }
    // A signature over another body.
    let signature = stripe_signature(&body, now(), STRIPE_SECRET);
    let tampered = body.replace("cs_test", "cs_other");
    assert_problem(
        post_stripe(&app, &tampered, Some(&signature)).await,
        400,
        "invalid_signature",
    )
    .await;
    assert_eq!(stored(&app, &id).await, (0, 0));
}

#[tokio::test]
async fn an_oversized_webhook_body_is_413() {
    let app = app().await;
    let body = format!(
        "{{\"id\":\"evt_big\",\"pad\":\"{}\"}}",
        "x".repeat(100 * 1024)
    );
    let signature = stripe_signature(&body, now(), STRIPE_SECRET);
    assert_problem(
        post_stripe(&app, &body, Some(&signature)).await,
        413,
        "payload_too_large",
    )
    .await;
    assert_eq!(stored(&app, "evt_big").await, (0, 0));
}

/// A CinetPay notification form for `trans_id`, with its `x-token`.
fn cinetpay_notification(
    trans_id: &str,
    status: &str,
    secret: &str,
) -> (Vec<(&'static str, String)>, String) {
    let fields: Vec<(&'static str, String)> = [
        ("cpm_site_id", "123456"),
        ("cpm_trans_id", trans_id),
        ("cpm_trans_date", "2026-12-02 10:30:00"),
        ("cpm_amount", "5000"),
        ("cpm_currency", "XOF"),
        ("signature", "sig"),
        ("payment_method", "OM"),
        ("cel_phone_num", "0700000000"),
        ("cpm_phone_prefixe", "225"),
        ("cpm_language", "fr"),
        ("cpm_version", "V4"),
        ("cpm_payment_config", "Single"),
        ("cpm_page_action", "Payment"),
        ("cpm_custom", ""),
        ("cpm_designation", "Commande"),
        ("cpm_error_message", status),
    ]
    .into_iter()
    .map(|(name, value)| (name, value.to_owned()))
    .collect();
    let concatenated: String = fields.iter().map(|(_, value)| value.as_str()).collect();
    let token = hmac_hex(secret, concatenated.as_bytes());
    (fields, token)
}

async fn post_cinetpay(app: &TestApp, fields: &[(&str, String)], token: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/v1/webhooks/mobile-money/cinetpay", app.address))
        .header("x-token", token)
        .form(fields)
        .send()
        .await
        .expect("the API answers")
}

#[tokio::test]
async fn cinetpay_notifications_are_verified_by_their_x_token_and_stored_once() {
    let app = app().await;
    let ping = app
        .client
        .get(format!("{}/v1/webhooks/mobile-money/cinetpay", app.address))
        .send()
        .await
        .expect("answers");
    assert_eq!(ping.status(), 200, "CinetPay pings the URL with GET");

    let trans_id = format!("PAY-{}", Uuid::now_v7().simple());
    let (fields, token) = cinetpay_notification(&trans_id, "SUCCES", CINETPAY_SECRET);
    for _ in 0..2 {
        assert_eq!(post_cinetpay(&app, &fields, &token).await.status(), 200);
    }
    assert_eq!(stored(&app, &token).await, (1, 1));
    let (payload,): (Value,) =
        sqlx::query_as("SELECT payload FROM payment_events WHERE event_key = $1")
            .bind(&token)
            .fetch_one(&app.pool)
            .await
            .expect("event");
    assert_eq!(payload["cpm_trans_id"], trans_id.as_str());

    let (forged, forged_token) = cinetpay_notification(&trans_id, "SUCCES", "not-the-secret");
    assert_problem(
        post_cinetpay(&app, &forged, &forged_token).await,
        400,
        "invalid_signature",
    )
    .await;
    let mut tampered = fields.clone();
    tampered[3].1 = "5".to_owned();
    assert_problem(
        post_cinetpay(&app, &tampered, &token).await,
        400,
        "invalid_signature",
    )
    .await;
    assert_eq!(stored(&app, &forged_token).await, (0, 0));
}
