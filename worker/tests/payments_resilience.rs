//! Payments when things break: a provider answering 5xx and 429 for a while, and a worker killed
//! (SIGKILL) while it waits on the provider in the middle of a reconciliation.

mod support;

use std::time::Duration;

use comptoir_testkit::mail::messages_to;
use comptoir_testkit::wait_until;
use support::rig::{Rig, WAIT};

async fn attempts(rig: &Rig, kind: &str) -> Vec<i32> {
    sqlx::query_scalar("SELECT attempts FROM jobs WHERE kind = $1 AND status = 'succeeded'")
        .bind(kind)
        .fetch_all(&rig.app.pool)
        .await
        .expect("jobs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_outage_is_retried_until_the_payment_goes_through() {
    let rig = Rig::start(&[]).await;
    let order = rig.order(5_000, "XOF", 1).await;
    // The initiation meets two 503s and a 429, then CinetPay answers.
    rig.outage("cinetpay", 503, 2).await;
    let payment = rig.start_payment(&order, "cinetpay").await;
    let token = rig.checkout_id(&order, payment).await;
    assert_eq!(
        attempts(&rig, "payments.initiate.v1").await,
        [3],
        "two failed attempts, then the payment"
    );

    // The check after the customer pays meets a 502: the reconciliation retries.
    rig.outage("cinetpay", 502, 1).await;
    rig.customer("cinetpay", &token, "pay").await;
    rig.wait_for_payment(&order, payment, "succeeded").await;
    assert_eq!(rig.order_status(&order).await, "paid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_reconciliation_is_replaced_and_the_order_paid_once() {
    let mut rig = Rig::start(&[]).await;
    let order = rig.order(5_000, "XOF", 1).await;
    let payment = rig.start_payment(&order, "cinetpay").await;
    let token = rig.checkout_id(&order, payment).await;

    // The status check after the notification hangs: the worker is inside the reconciliation.
    rig.stall("cinetpay", Duration::from_secs(60)).await;
    rig.customer("cinetpay", &token, "pay").await;
    wait_until("the reconciliation to be running", WAIT, || async {
        let running: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM jobs WHERE kind = 'payments.reconcile_event.v1' \
               AND status = 'running'",
        )
        .fetch_one(&rig.app.pool)
        .await
        .expect("jobs");
        (running > 0).then_some(())
    })
    .await;
    rig.kill_workers();
    assert_eq!(rig.payment(&order, payment).await["status"], "pending");

    rig.add_worker();
    rig.wait_for_payment(&order, payment, "succeeded").await;
    assert_eq!(rig.order_status(&order).await, "paid");
    wait_until("the receipt", WAIT, || async {
        messages_to(&order.client_email)
            .iter()
            .any(|mail| mail.subject.starts_with("Payment received"))
            .then_some(())
    })
    .await;
    let receipts = messages_to(&order.client_email)
        .into_iter()
        .filter(|mail| mail.subject.starts_with("Payment received"))
        .count();
    assert_eq!(receipts, 1, "one receipt");
    let paid_notices: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notifications WHERE user_id = $1 AND subject = 'Order paid'",
    )
    .bind(order.shop.owner_id)
    .fetch_one(&rig.app.pool)
    .await
    .expect("notifications");
    assert_eq!(paid_notices, 1, "one notice to the seller");
}
