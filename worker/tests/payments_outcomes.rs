//! What reconciliation does with what the providers say, through the sandbox and a real worker:
//! a hint the provider contradicts, an amount that does not match, a second payment of a paid
//! order, refunds, expiry, failure, and the cancellation of orders nobody paid.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use uuid::Uuid;

use comptoir_testkit::assert_problem;
use comptoir_testkit::wait_until;
use support::payments::stripe_event;
use support::rig::{Rig, WAIT};

/// Waits until every job of `kind` has finished, so that a state can be read as final.
async fn settled(rig: &Rig, kind: &str) {
    wait_until(&format!("{kind} jobs to finish"), WAIT, || async {
        let open: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM jobs WHERE kind = $1 AND status NOT IN ('succeeded', 'dead')",
        )
        .bind(kind)
        .fetch_one(&rig.app.pool)
        .await
        .expect("jobs");
        (open == 0).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paygate_callback_the_status_query_contradicts_changes_nothing() {
    let rig = Rig::start(&[]).await;
    let order = rig.order(5_000, "XOF", 1).await;
    let payment = rig.start_payment(&order, "paygate").await;
    let tx_reference = rig.checkout_id(&order, payment).await;

    // A callback nobody at PayGate sent: PayGate's status query still says pending (2).
    let forged = json!({
        "tx_reference": tx_reference, "identifier": payment.to_string(),
        "payment_reference": "13171916025", "amount": 5000,
        "datetime": "2026-12-02T10:00:00.000Z", "payment_method": "FLOOZ",
        "phone_number": "22890112233",
    });
    let posted = rig
        .app
        .client
        .post(format!(
            "{}/v1/webhooks/mobile-money/paygate",
            rig.app.address
        ))
        .json(&forged)
        .send()
        .await
        .expect("the API answers");
    assert_eq!(posted.status(), 200);
    settled(&rig, "payments.reconcile_event.v1").await;
    assert_eq!(rig.payment(&order, payment).await["status"], "pending");
    assert_eq!(rig.order_status(&order).await, "pending");

    // The customer approves on the phone: PayGate's own callback, confirmed, pays the order.
    rig.customer("paygate", &tx_reference, "pay").await;
    rig.wait_for_payment(&order, payment, "succeeded").await;
    assert_eq!(rig.order_status(&order).await, "paid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_checkout_for_another_amount_is_flagged_and_never_pays() {
    let rig = Rig::start(&[]).await;
    let order = rig.order(2_500, "EUR", 1).await;
    let payment = rig.start_payment(&order, "stripe").await;
    let session = rig.checkout_id(&order, payment).await;

    // What Stripe would say if the session had been for 1.00 EUR.
    let event = stripe_event(
        "checkout.session.completed",
        json!({
            "id": session, "object": "checkout.session", "status": "complete",
            "payment_status": "paid", "amount_total": 100, "currency": "eur",
            "client_reference_id": payment.to_string(),
            "metadata": {"payment_id": payment.to_string()},
            "payment_intent": format!("pi_{}", Uuid::now_v7().simple()),
        }),
    );
    assert_eq!(rig.post_stripe_event(&event).await.status(), 200);
    let flagged = wait_until("the mismatch flag", WAIT, || async {
        let read = rig.payment(&order, payment).await;
        (read["flags"] == json!(["amount_mismatch"])).then_some(read)
    })
    .await;
    // The provider did take money, so the payment says so; the order stays unpaid and the
    // flag sends an admin to sort it out.
    assert_eq!(flagged["status"], "succeeded", "{flagged}");
    assert_eq!(rig.order_status(&order).await, "pending");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_card_payment_of_a_paid_order_is_refunded_as_a_duplicate() {
    let rig = Rig::start(&[]).await;
    let order = rig.order(2_500, "EUR", 1).await;
    let first = rig.start_payment(&order, "stripe").await;
    let second = rig.start_payment(&order, "stripe").await;
    let first_session = rig.checkout_id(&order, first).await;
    let second_session = rig.checkout_id(&order, second).await;

    rig.customer("stripe", &first_session, "pay").await;
    rig.wait_for_payment(&order, first, "succeeded").await;
    rig.customer("stripe", &second_session, "pay").await;

    let refunded = rig.wait_for_payment(&order, second, "refunded").await;
    assert_eq!(refunded["flags"], json!(["duplicate"]), "{refunded}");
    assert_eq!(refunded["refunded_amount"]["amount"], 2_500, "{refunded}");
    assert_eq!(rig.payment(&order, first).await["status"], "succeeded");
    assert_eq!(rig.order_status(&order).await, "paid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_mobile_money_payment_is_flagged_for_a_refund_by_hand() {
    let rig = Rig::start(&[]).await;
    let order = rig.order(5_000, "XOF", 1).await;
    let first = rig.start_payment(&order, "cinetpay").await;
    let second = rig.start_payment(&order, "cinetpay").await;
    let first_token = rig.checkout_id(&order, first).await;
    let second_token = rig.checkout_id(&order, second).await;

    rig.customer("cinetpay", &first_token, "pay").await;
    rig.wait_for_payment(&order, first, "succeeded").await;
    rig.customer("cinetpay", &second_token, "pay").await;

    let flagged = wait_until("the duplicate flags", WAIT, || async {
        let read = rig.payment(&order, second).await;
        (read["flags"] == json!(["duplicate", "needs_refund"])).then_some(read)
    })
    .await;
    assert_eq!(flagged["status"], "succeeded", "{flagged}");
    assert_eq!(rig.order_status(&order).await, "paid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seller_refunds_part_then_the_rest_through_stripe() {
    let rig = Rig::start(&[]).await;
    let order = rig.order(2_500, "EUR", 2).await;
    let payment = rig.start_payment(&order, "stripe").await;
    let session = rig.checkout_id(&order, payment).await;
    rig.customer("stripe", &session, "pay").await;
    rig.wait_for_payment(&order, payment, "succeeded").await;
    let path = format!("/v1/payments/{payment}/refund");
    let refund = |body: Value| rig.app.post(&path, Some(&order.shop.owner_token), body);

    let partial =
        refund(json!({"amount": {"amount": 1_000, "currency": "EUR"}, "reason": "one broken"}))
            .await;
    assert_eq!(partial.status(), 202);
    let part = rig
        .wait_for_payment(&order, payment, "partially_refunded")
        .await;
    assert_eq!(part["refunded_amount"]["amount"], 1_000, "{part}");
    assert_problem(
        refund(json!({"amount": {"amount": 4_001, "currency": "EUR"}})).await,
        422,
        "refund_exceeds_balance",
    )
    .await;

    assert_eq!(refund(json!({})).await.status(), 202, "the rest");
    let whole = rig.wait_for_payment(&order, payment, "refunded").await;
    assert_eq!(whole["refunded_amount"]["amount"], 5_000, "{whole}");
    assert_problem(refund(json!({})).await, 409, "payment_not_refundable").await;

    // The seller's payments report shows the payment as it ended.
    let csv = payments_report(&rig, &order.shop.owner_token).await;
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(
        rows[0].contains("Refunded") && rows[0].contains("Flags"),
        "{csv}"
    );
    let row = rows[1];
    for expected in [
        &payment.to_string(),
        &order.id.to_string(),
        "stripe",
        "refunded",
        "pi_",
    ] {
        assert!(row.contains(expected), "{expected} in {row}");
    }
}

/// Today's payments report, as CSV, for the holder of `token`.
async fn payments_report(rig: &Rig, token: &str) -> String {
    let today = chrono::Utc::now().date_naive().to_string();
    let requested = rig
        .app
        .post(
            "/v1/reports",
            Some(token),
            json!({"type": "payments", "format": "csv", "date_from": today, "date_to": today}),
        )
        .await;
    assert_eq!(requested.status(), 202);
    let id = requested.json::<Value>().await.expect("report")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let done = wait_until("the payments report", WAIT, || async {
        let view: Value = rig
            .app
            .get(&format!("/v1/reports/{id}"), Some(token))
            .await
            .json()
            .await
            .ok()?;
        (view["status"] == "succeeded").then_some(view)
    })
    .await;
    let url = done["download_url"].as_str().expect("download_url");
    let path = &url[url.find("/v1/reports/").expect("a report URL")..];
    let file = rig.app.get(path, None).await;
    assert_eq!(file.status(), 200);
    file.text().await.expect("csv")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_card_can_be_retried_and_a_refused_mobile_payment_fails() {
    let rig = Rig::start(&[]).await;
    let card = rig.order(2_500, "EUR", 1).await;
    let payment = rig.start_payment(&card, "stripe").await;
    let session = rig.checkout_id(&card, payment).await;
    rig.customer("stripe", &session, "fail").await;
    let declined = wait_until("the decline to be recorded", WAIT, || async {
        let read = rig.payment(&card, payment).await;
        read["failure_reason"].is_string().then_some(read)
    })
    .await;
    assert_eq!(
        declined["status"], "pending",
        "the customer may retry: {declined}"
    );
    rig.customer("stripe", &session, "pay").await;
    rig.wait_for_payment(&card, payment, "succeeded").await;

    let mobile = rig.order(5_000, "XOF", 1).await;
    let refused = rig.start_payment(&mobile, "cinetpay").await;
    let token = rig.checkout_id(&mobile, refused).await;
    rig.customer("cinetpay", &token, "fail").await;
    rig.wait_for_payment(&mobile, refused, "failed").await;
    assert_eq!(rig.order_status(&mobile).await, "pending");
}

/// Moves a payment's or an order's timestamps back, as if `age` had passed.
async fn age(rig: &Rig, table: Aged, id: Uuid, age: Duration) {
    let statement = match table {
        Aged::Payment => {
            "UPDATE payments SET created_at = created_at - make_interval(secs => $2), \
               updated_at = updated_at - make_interval(secs => $2) WHERE id = $1"
        }
        Aged::Order => {
            "UPDATE orders SET created_at = created_at - make_interval(secs => $2), \
               updated_at = updated_at - make_interval(secs => $2) WHERE id = $1"
        }
    };
    sqlx::query(statement)
        .bind(id)
        .bind(age.as_secs_f64())
        .execute(&rig.app.pool)
        .await
        .expect("aged");
}

enum Aged {
    Payment,
    Order,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_left_pending_past_its_timeout_expires_and_the_unpaid_order_is_cancelled() {
    let rig = Rig::start(&[
        ("payments.requery_after_secs", json!(1)),
        ("orders.unpaid_timeout_mins", json!(120)),
    ])
    .await;
    let order = rig.order(5_000, "XOF", 3).await;
    assert_eq!(rig.app.stock_and_sales(order.product).await, (7, 3));
    let payment = rig.start_payment(&order, "cinetpay").await;
    rig.checkout_id(&order, payment).await;

    // CinetPay payments expire after 60 minutes, orders after 120: 61 minutes later the
    // payment is given up, and the order waits.
    age(&rig, Aged::Payment, payment, Duration::from_secs(61 * 60)).await;
    age(&rig, Aged::Order, order.id, Duration::from_secs(61 * 60)).await;
    let expired = rig.wait_for_payment(&order, payment, "expired").await;
    assert!(
        expired["failure_reason"]
            .as_str()
            .is_some_and(|reason| reason.contains("60 minutes")),
        "{expired}"
    );
    assert_eq!(rig.order_status(&order).await, "pending");

    age(&rig, Aged::Order, order.id, Duration::from_secs(60 * 60)).await;
    wait_until("the unpaid order to be cancelled", WAIT, || async {
        (rig.order_status(&order).await == "cancelled").then_some(())
    })
    .await;
    assert_eq!(rig.app.stock_and_sales(order.product).await, (10, 0));
}
