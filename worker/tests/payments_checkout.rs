//! Each provider end to end through the sandbox and a real worker process: the client starts
//! paying, the customer pays at the provider, the provider calls back, the order is paid, the
//! client receives one receipt and the seller is notified.

mod support;

use serde_json::Value;

use comptoir_testkit::mail::{messages_to, wait_for_messages};
use comptoir_testkit::wait_until;
use support::payments::Order;
use support::rig::{Rig, WAIT};

async fn receipts(order: &Order) -> Vec<String> {
    messages_to(&order.client_email)
        .into_iter()
        .map(|mail| mail.subject)
        .filter(|subject| subject.starts_with("Payment received"))
        .collect()
}

async fn seller_notifications(rig: &Rig, order: &Order) -> Vec<Value> {
    let listed = rig
        .app
        .get("/v1/notifications", Some(&order.shop.owner_token))
        .await;
    assert_eq!(listed.status(), 200);
    let listed: Value = listed.json().await.expect("notifications");
    listed["items"].as_array().cloned().unwrap_or_default()
}

async fn paid_end_to_end(provider: &str, price: i64, currency: &str, expected_subject: &str) {
    let rig = Rig::start(&[]).await;
    let order = rig.order(price, currency, 2).await;
    let payment = rig.start_payment(&order, provider).await;
    let checkout = rig.checkout_id(&order, payment).await;

    rig.customer(provider, &checkout, "pay").await;

    let paid = rig.wait_for_payment(&order, payment, "succeeded").await;
    assert_eq!(paid["amount"]["amount"], price * 2, "{paid}");
    assert_eq!(paid["flags"], serde_json::json!([]), "{paid}");
    assert!(
        !paid["events"].as_array().expect("events").is_empty(),
        "the provider's callbacks are listed: {paid}"
    );
    assert_eq!(rig.order_status(&order).await, "paid");
    // The welcome email and the order confirmation come too; wait for the receipt itself.
    wait_until("the receipt", WAIT, || async {
        (!receipts(&order).await.is_empty()).then_some(())
    })
    .await;
    wait_for_messages(&order.client_email, 3, WAIT).await;
    assert_eq!(receipts(&order).await, [expected_subject]);
    let notes = wait_until("the seller's notification", WAIT, || async {
        let notes = seller_notifications(&rig, &order).await;
        (!notes.is_empty()).then_some(notes)
    })
    .await;
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0]["body"]
            .as_str()
            .is_some_and(|body| body.contains(&order.id.to_string())),
        "{notes:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_payment_through_stripe_checkout_pays_the_order() {
    paid_end_to_end(
        "stripe",
        2_500,
        "EUR",
        "Payment received: 50.00 EUR at Chez Awa",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mobile_money_payment_through_cinetpay_pays_the_order() {
    paid_end_to_end(
        "cinetpay",
        5_000,
        "XOF",
        "Payment received: 10000 XOF at Chez Awa",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooz_payment_through_paygate_pays_the_order() {
    paid_end_to_end(
        "paygate",
        5_000,
        "XOF",
        "Payment received: 10000 XOF at Chez Awa",
    )
    .await;
}
