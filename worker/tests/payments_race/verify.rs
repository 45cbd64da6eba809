//! The fuzz test's checks: every payment against the sandbox's word, every order paid at most
//! once, duplicates refunded at Stripe, and each paid order's receipt sent exactly once.

use std::collections::HashMap;

use serde_json::Value;
use uuid::Uuid;

use comptoir_testkit::mail::messages_to;
use comptoir_testkit::wait_until;

use super::support::rig::Rig;
use super::{LONG, Payment};

pub(super) async fn verify(
    rig: &Rig,
    seed: u64,
    payments: Vec<Payment>,
    orders: &HashMap<Uuid, (String, String)>,
) {
    let ours: HashMap<Uuid, (String, Vec<String>, i64)> =
        sqlx::query_as::<_, (Uuid, String, Vec<String>, i64)>(
            "SELECT id, status, flags, refunded_amount FROM payments",
        )
        .fetch_all(&rig.app.pool)
        .await
        .expect("payments")
        .into_iter()
        .map(|(id, status, flags, refunded)| (id, (status, flags, refunded)))
        .collect();
    let mut succeeded_per_order: HashMap<Uuid, Vec<&Payment>> = HashMap::new();
    for payment in &payments {
        let (status, flags, refunded) = &ours[&payment.id];
        if payment.truth == "succeeded" {
            succeeded_per_order
                .entry(payment.order)
                .or_default()
                .push(payment);
            continue;
        }
        assert_eq!(
            (status.as_str(), flags.len(), *refunded),
            (payment.truth, 0, 0),
            "seed {seed}: payment {} (session {})",
            payment.id,
            payment.session
        );
    }
    // Of an order's successful payments one pays it; any other is a refunded duplicate.
    for payments in succeeded_per_order.values() {
        let (paying, duplicates): (Vec<&Payment>, Vec<&Payment>) = payments
            .iter()
            .copied()
            .partition(|p| ours[&p.id].1.is_empty());
        assert_eq!(
            paying.len(),
            1,
            "seed {seed}: order {} paid once",
            payments[0].order
        );
        assert_eq!(ours[&paying[0].id].0, "succeeded", "seed {seed}");
        for duplicate in duplicates {
            let (status, flags, refunded) = &ours[&duplicate.id];
            assert_eq!(
                (status.as_str(), flags.as_slice(), *refunded),
                ("refunded", ["duplicate".to_owned()].as_slice(), 1_990),
                "seed {seed}: duplicate {}",
                duplicate.id
            );
            assert_eq!(
                refunded_at_stripe(rig, &duplicate.intent).await,
                1_990,
                "seed {seed}: Stripe refunded duplicate {}",
                duplicate.id
            );
        }
    }
    let statuses: HashMap<Uuid, String> =
        sqlx::query_as::<_, (Uuid, String)>("SELECT id, status FROM orders")
            .fetch_all(&rig.app.pool)
            .await
            .expect("orders")
            .into_iter()
            .collect();
    for order in orders.keys() {
        let expected = if succeeded_per_order.contains_key(order) {
            "paid"
        } else {
            "pending"
        };
        assert_eq!(statuses[order], expected, "seed {seed}: order {order}");
    }
    receipts_once(rig, seed, orders, &succeeded_per_order).await;
    let count = |truth: &str| payments.iter().filter(|p| p.truth == truth).count();
    let twice = succeeded_per_order.values().filter(|p| p.len() > 1).count();
    eprintln!(
        "settled: {} succeeded ({twice} orders paid twice, one refunded as a duplicate), {} cancelled, {} left pending",
        count("succeeded"),
        count("cancelled"),
        count("pending")
    );
}

/// What Stripe has refunded of an intent's charge.
async fn refunded_at_stripe(rig: &Rig, intent: &str) -> i64 {
    let get = |path: String| async move {
        rig.app
            .client
            .get(format!("{}{path}", rig.sandbox))
            .basic_auth("sk_test_rig", Some(""))
            .send()
            .await
            .expect("the sandbox answers")
            .json::<Value>()
            .await
            .expect("json")
    };
    let intent = get(format!("/v1/payment_intents/{intent}")).await;
    let charge = intent["latest_charge"]
        .as_str()
        .expect("a charge")
        .to_owned();
    get(format!("/v1/charges/{charge}")).await["amount_refunded"]
        .as_i64()
        .expect("amount_refunded")
}

async fn receipts_once(
    rig: &Rig,
    seed: u64,
    orders: &HashMap<Uuid, (String, String)>,
    paid: &HashMap<Uuid, Vec<&Payment>>,
) {
    // Receipts are sent after the payments settle: wait for the email queue to drain.
    wait_until("every receipt sent", LONG, || async {
        let open: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM jobs WHERE kind = 'email.send.v1' AND status NOT IN ('succeeded', 'dead')",
        )
        .fetch_one(&rig.app.pool)
        .await
        .expect("jobs");
        (open == 0).then_some(())
    })
    .await;
    let mut clients: Vec<&String> = orders.values().map(|(email, _)| email).collect();
    clients.sort();
    clients.dedup();
    let mut receipts: HashMap<Uuid, usize> = HashMap::new();
    for email in clients {
        for mail in messages_to(email) {
            if !mail.subject.starts_with("Payment received") {
                continue;
            }
            let order = orders
                .keys()
                .find(|id| mail.text.contains(&id.to_string()))
                .expect("a receipt names its order");
            *receipts.entry(*order).or_default() += 1;
        }
    }
    for order in orders.keys() {
        let expected = usize::from(paid.contains_key(order));
        assert_eq!(
            receipts.get(order).copied().unwrap_or(0),
            expected,
            "seed {seed}: receipts for order {order}"
        );
    }
}
