//! Webhook ingestion benchmark (see README "Benchmarks"): valid, signed Stripe events posted to
//! `POST /v1/webhooks/stripe`, 16 in flight; each is verified, stored and given its
//! reconciliation job in one transaction before the 200. Then the same number of replays (the
//! provider's retries), which find the stored event.
//!
//! Run: `scripts/services.sh && COMPTOIR_ENV=test cargo bench -p comptoir-api --bench webhooks`
//! Size: BENCH_EVENTS (default 10000).

use std::time::Instant;

use futures::{StreamExt, stream};
use serde_json::json;

use comptoir_testkit::bench::{env_number, percentile};
use comptoir_testkit::signing::stripe_signature;
use comptoir_testkit::{TestApp, test_settings};

const CONCURRENCY: usize = 16;
const SECRET: &str = "whsec_bench";

/// A signed `payment_intent.succeeded` event, as Stripe sends it.
fn signed_event(n: usize) -> (String, String) {
    let body = json!({
        "id": format!("evt_bench_{n}"), "object": "event", "api_version": "2024-06-20",
        "created": 1_700_000_000, "livemode": false, "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null}, "type": "payment_intent.succeeded",
        "data": {"object": {"id": format!("pi_bench_{n}"), "object": "payment_intent",
            "amount": 5000, "amount_received": 5000, "currency": "eur", "status": "succeeded",
            "metadata": {"payment_id": "00000000-0000-0000-0000-000000000000"}}}
    })
    .to_string();
    let signature = stripe_signature(&body, chrono::Utc::now().timestamp(), SECRET);
    (body, signature)
}

/// req/s, p50 ms, p99 ms of posting `events`.
async fn post_all(app: &TestApp, events: &[(String, String)]) -> (f64, f64, f64) {
    let url = format!("{}/v1/webhooks/stripe", app.address);
    let started = Instant::now();
    let mut latencies: Vec<f64> = stream::iter(events)
        .map(|(body, signature)| {
            let request = app
                .client
                .post(&url)
                .header("Content-Type", "application/json")
                .header("Stripe-Signature", signature)
                .body(body.clone());
            async move {
                let sent = Instant::now();
                let response = request.send().await.expect("response");
                assert_eq!(response.status(), 200);
                response.bytes().await.expect("body");
                sent.elapsed().as_secs_f64() * 1000.0
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    (
        events.len() as f64 / elapsed,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
    )
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let count = env_number("BENCH_EVENTS", 10_000);
    let settings = test_settings(&[
        ("server.workers", json!(2)),
        ("database.max_connections", json!(20)),
        ("payments.stripe.webhook_secret", json!(SECRET)),
    ])
    .await;
    let app = TestApp::spawn(settings).await;
    let events: Vec<(String, String)> = (0..count).map(signed_event).collect();
    println!("webhook ingestion: {count} signed Stripe events, {CONCURRENCY} in flight\n");
    println!("| run | req/s | p50 ms | p99 ms |\n|---|---|---|---|");
    for run in ["new events", "replays"] {
        let (rate, p50, p99) = post_all(&app, &events).await;
        println!("| {run} | {rate:.0} | {p50:.1} | {p99:.1} |");
    }
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM payment_events")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(stored as usize, count, "each event stored once");
}
