//! Reconciliation benchmark (see README "Benchmarks"): BENCH_PAYMENTS pending Stripe payments,
//! each paid by a signed `payment_intent.succeeded` event posted to the API while no worker
//! runs; then one worker process on the `payments` queue settles them all (row lock, state
//! machine, amount check, order paid, receipt and seller notice enqueued). Prints events/s
//! ingested and reconciliations/s.
//!
//! Run: `scripts/services.sh && COMPTOIR_ENV=test cargo bench -p comptoir-worker --bench payments`

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures::{StreamExt, stream};
use serde_json::{Value, json};
use uuid::Uuid;

use comptoir_domain::types::Role;
use comptoir_testkit::bench::{self, env_number};
use comptoir_testkit::market::TestProduct;
use comptoir_testkit::signing::stripe_signature;
use comptoir_testkit::{TestApp, test_settings, wait_until, worker_env};

const IN_FLIGHT: usize = 16;
const SECRET: &str = "whsec_bench";

fn signed(payment: Uuid, amount: i64) -> (String, String) {
    let body = json!({
        "id": format!("evt_{}", payment.simple()), "object": "event", "type": "payment_intent.succeeded",
        "created": chrono::Utc::now().timestamp(), "livemode": false,
        "data": {"object": {"id": format!("pi_{}", payment.simple()), "object": "payment_intent",
            "amount": amount, "amount_received": amount, "currency": "eur", "status": "succeeded",
            "metadata": {"payment_id": payment.to_string()}}},
    })
    .to_string();
    let signature = stripe_signature(&body, chrono::Utc::now().timestamp(), SECRET);
    (body, signature)
}

/// Places `count` orders of one product through the API; pending Stripe payments for them
/// are written directly (initiation is not what is measured).
async fn pending_payments(app: &TestApp, count: usize) -> Vec<(Uuid, i64)> {
    let shop = app.shop().await;
    let product = app
        .product(shop.id, TestProduct::new(1_990, 1_000_000))
        .await;
    let (_, client) = app.user_with_role(Role::Client).await;
    stream::iter(0..count)
        .map(|_| async {
            let placed = app
                .post(
                    "/v1/orders",
                    Some(&client),
                    json!({"items": [{"product_id": product, "quantity": 1}]}),
                )
                .await;
            assert_eq!(placed.status(), 201);
        })
        .buffer_unordered(IN_FLIGHT)
        .collect::<()>()
        .await;
    sqlx::query_as(
        "INSERT INTO payments (id, order_id, provider, currency, amount, status) \
         SELECT gen_random_uuid(), id, 'stripe', currency, total_amount, 'pending' FROM orders \
         WHERE shop_id = $1 RETURNING id, amount",
    )
    .bind(shop.id)
    .fetch_all(&app.pool)
    .await
    .expect("payments")
}

const RECONCILED: &str =
    "SELECT count(*) FROM jobs WHERE kind = 'payments.reconcile_event.v1' AND status = 'succeeded'";

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let count = env_number("BENCH_PAYMENTS", 5_000);
    let settings = test_settings(&[
        ("database.max_connections", json!(20)),
        ("payments.stripe.secret_key", json!("sk_test_bench")),
        ("payments.stripe.webhook_secret", json!(SECRET)),
    ])
    .await;
    let app = TestApp::spawn(settings.clone()).await;
    let payments = pending_payments(&app, count).await;

    let events: Vec<(String, String)> = payments
        .iter()
        .map(|(id, amount)| signed(*id, *amount))
        .collect();
    let url = format!("{}/v1/webhooks/stripe", app.address);
    let posted = Instant::now();
    stream::iter(&events)
        .map(|(body, signature)| {
            let request = app
                .client
                .post(&url)
                .header("Content-Type", "application/json")
                .header("Stripe-Signature", signature)
                .body(body.clone());
            async move { assert_eq!(request.send().await.expect("response").status(), 200) }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect::<()>()
        .await;
    let ingest = count as f64 / posted.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut worker = Command::new(env!("CARGO_BIN_EXE_comptoir-worker"))
        .args(["--queues", "payments"])
        .envs(worker_env(&settings))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("worker binary");
    wait_until(
        "every event reconciled",
        Duration::from_secs(900),
        || async { (bench::count(&app.pool, RECONCILED).await == count).then_some(()) },
    )
    .await;
    let rate = count as f64 / started.elapsed().as_secs_f64();
    let _ = worker.kill();
    let _ = worker.wait();
    let paid: i64 = sqlx::query_scalar("SELECT count(*) FROM orders WHERE status = 'paid'")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(paid as usize, count, "every order paid");
    let receipts: Value = json!(
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM jobs WHERE kind = 'email.send.v1' AND unique_key LIKE 'payment-receipt:%'")
            .fetch_one(&app.pool)
            .await
            .unwrap_or(-1)
    );
    println!(
        "payment reconciliation: {count} Stripe payments, one worker process (payments queue, concurrency 16)\n"
    );
    println!("| step | per second |\n|---|---|");
    println!("| webhooks ingested ({IN_FLIGHT} in flight, no worker) | {ingest:.0} |");
    println!("| reconciliations (clock from worker spawn) | {rate:.0} |");
    println!("\nreceipts enqueued: {receipts}");
}
