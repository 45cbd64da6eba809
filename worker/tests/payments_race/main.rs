//! The race fuzz test: 1,000 Stripe payments (a fifth of the orders paid twice), each settled
//! at the sandbox by a random script of declines, payments and cancellations, whose events are
//! posted to the API duplicated, reordered and concurrently (10,000 posts). Afterwards every
//! payment says what the provider says, every order is paid at most once, and every paid order
//! got exactly one receipt. Seeded: `PAYMENT_FUZZ_SEED=<n>` replays a failure.

#[path = "../support/mod.rs"]
mod support;
mod verify;

use std::collections::HashMap;
use std::time::Duration;

use futures::{StreamExt, stream};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use serde_json::{Value, json};
use uuid::Uuid;

use comptoir_testkit::market::TestProduct;
use comptoir_testkit::wait_until;
use support::payments::stripe_event;
use support::rig::Rig;

const ORDERS: usize = 800;
/// The first orders get a second payment: 1,000 payments.
const PAID_TWICE: usize = 200;
const POSTS_PER_PAYMENT: usize = 10;
const CLIENTS: usize = 10;
const IN_FLIGHT: usize = 16;
const LONG: Duration = Duration::from_secs(240);

/// What the customer does at Stripe's checkout, in order.
const SCRIPTS: &[(&[&str], u32)] = &[
    (&["pay"], 45),
    (&["fail", "pay"], 15),
    (&["fail"], 10),
    (&["cancel"], 15),
    (&["fail", "cancel"], 15),
];

struct Payment {
    id: Uuid,
    order: Uuid,
    session: String,
    /// The provider's final word: succeeded, pending or cancelled.
    truth: &'static str,
    intent: String,
}

fn seed() -> u64 {
    std::env::var("PAYMENT_FUZZ_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(rand::random)
}

fn script(rng: &mut StdRng) -> &'static [&'static str] {
    SCRIPTS
        .choose_weighted(rng, |(_, weight)| *weight)
        .expect("scripts")
        .0
}

/// The events Stripe sends for one action, built from the sandbox's state after it.
fn events_of(action: &str, state: &Value) -> Vec<Value> {
    let (session, intent) = (&state["session"], &state["payment_intent"]);
    match action {
        "pay" => vec![
            stripe_event("checkout.session.completed", session.clone()),
            stripe_event("payment_intent.succeeded", intent.clone()),
        ],
        "fail" => vec![stripe_event(
            "payment_intent.payment_failed",
            intent.clone(),
        )],
        _ => vec![
            stripe_event("checkout.session.expired", session.clone()),
            stripe_event("payment_intent.canceled", intent.clone()),
        ],
    }
}

/// Places the orders (spread over a few clients) and starts their payments.
async fn place_and_start(rig: &Rig) -> HashMap<Uuid, (String, String)> {
    let shop = rig.app.shop().await;
    let product = rig
        .app
        .product(shop.id, TestProduct::new(1_990, 100_000))
        .await;
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let email = comptoir_testkit::app::unique_email("racer");
        let session = rig.app.register(&email, "correct horse battery").await;
        let token = session["access_token"].as_str().expect("token").to_owned();
        clients.push((email, token));
    }
    let orders: Vec<(Uuid, (String, String))> = stream::iter(0..ORDERS)
        .map(|n| {
            let client = clients[n % CLIENTS].clone();
            async move {
                let placed = rig
                    .app
                    .post(
                        "/v1/orders",
                        Some(&client.1),
                        json!({"items": [{"product_id": product, "quantity": 1}]}),
                    )
                    .await;
                assert_eq!(placed.status(), 201);
                let id = placed.json::<Value>().await.expect("order")["id"]
                    .as_str()
                    .and_then(|id| id.parse().ok())
                    .expect("id");
                let payments = if n < PAID_TWICE { 2 } else { 1 };
                for _ in 0..payments {
                    let started = rig
                        .app
                        .post(
                            &format!("/v1/orders/{id}/payments"),
                            Some(&client.1),
                            json!({"provider": "stripe"}),
                        )
                        .await;
                    assert_eq!(started.status(), 202);
                }
                (id, client)
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    orders.into_iter().collect()
}

async fn checkouts(rig: &Rig) -> Vec<(Uuid, Uuid, String)> {
    let total = ORDERS + PAID_TWICE;
    wait_until("every payment to reach Stripe", LONG, || async {
        let rows: Vec<(Uuid, Uuid, String)> = sqlx::query_as(
            "SELECT id, order_id, checkout_url FROM payments \
             WHERE status = 'pending' AND checkout_url IS NOT NULL ORDER BY id",
        )
        .fetch_all(&rig.app.pool)
        .await
        .expect("payments");
        (rows.len() == total).then_some(rows)
    })
    .await
}

async fn open_payment_jobs(rig: &Rig) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE kind LIKE 'payments.%' AND kind <> 'payments.sweep.v1' \
           AND status NOT IN ('succeeded', 'dead')",
    )
    .fetch_one(&rig.app.pool)
    .await
    .expect("jobs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicated_reordered_and_concurrent_events_settle_as_the_provider_says() {
    let seed = seed();
    eprintln!("payment race fuzz seed: {seed} (PAYMENT_FUZZ_SEED={seed} replays it)");
    let mut rng = StdRng::seed_from_u64(seed);
    let rig = Rig::with_stripe_events_by_test(&[]).await;
    let orders = place_and_start(&rig).await;
    let rows = checkouts(&rig).await;

    // The provider's truth, made at the sandbox; the events it would send, collected.
    let scripted: Vec<_> = rows
        .into_iter()
        .map(|(id, order, url)| {
            let session = url.rsplit('/').next().expect("id").to_owned();
            (id, order, session, script(&mut rng))
        })
        .collect();
    let settled: Vec<(Payment, Vec<Value>)> = stream::iter(scripted)
        .map(|(id, order, session, script)| {
            let rig = &rig;
            async move {
                let mut events = Vec::new();
                let mut state = Value::Null;
                for action in script {
                    state = rig.customer("stripe", &session, action).await;
                    events.extend(events_of(action, &state));
                }
                let truth = match state["session"]["status"].as_str() {
                    Some("complete") => "succeeded",
                    Some("expired") => "cancelled",
                    _ => "pending",
                };
                let intent = state["payment_intent"]["id"]
                    .as_str()
                    .expect("pi")
                    .to_owned();
                let payment = Payment {
                    id,
                    order,
                    session,
                    truth,
                    intent,
                };
                (payment, events)
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;

    // Duplicated up to ten posts per payment, then everything shuffled and posted 16 at a time.
    let mut posts = Vec::new();
    for (_, events) in &settled {
        posts.extend(events.iter().cloned());
        for _ in events.len()..POSTS_PER_PAYMENT {
            posts.push(events.choose(&mut rng).expect("an event").clone());
        }
    }
    posts.shuffle(&mut rng);
    assert_eq!(posts.len(), (ORDERS + PAID_TWICE) * POSTS_PER_PAYMENT);
    let statuses: Vec<u16> = stream::iter(&posts)
        .map(|event| async { rig.post_stripe_event(event).await.status().as_u16() })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    assert!(
        statuses.iter().all(|s| *s == 200),
        "seed {seed}: every post is acknowledged"
    );

    let distinct: usize = settled.iter().map(|(_, events)| events.len()).sum();
    wait_until("every event reconciled and every refund done", LONG, || async {
        let reconciled: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM jobs WHERE kind = 'payments.reconcile_event.v1' AND status = 'succeeded'",
        )
        .fetch_one(&rig.app.pool)
        .await
        .expect("jobs");
        (reconciled as usize == distinct && open_payment_jobs(&rig).await == 0).then_some(())
    })
    .await;
    let dead: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE status = 'dead'")
        .fetch_one(&rig.app.pool)
        .await
        .expect("jobs");
    assert_eq!(dead, 0, "seed {seed}: no job died");

    verify::verify(
        &rig,
        seed,
        settled.into_iter().map(|(p, _)| p).collect(),
        &orders,
    )
    .await;
}
