//! Texts that are not codes: an SMS notification batch to a thousand verified phones, texted
//! once each by two worker processes, and the order status texts phone-only clients get in
//! their language.

mod support;

use serde_json::{Value, json};

use comptoir_domain::sms::order_texts::reference;
use comptoir_testkit::wait_until;
use support::rig::{Rig, WAIT};
use support::sms::phone;

const PHONES: usize = 1_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_to_a_thousand_phones_texts_each_once() {
    let mut rig = Rig::start(&[]).await;
    rig.add_worker();
    // A thousand clients with verified Togolese phones, and five whose phones are unverified.
    rig.app.phone_clients(1, PHONES, true).await;
    rig.app.phone_clients(PHONES + 1, 5, false).await;
    let admin = rig.admin().await;
    let body = "Comptoir : -20 % sur tout le marché ce samedi.";
    let posted = rig
        .app
        .post(
            "/v1/notifications",
            Some(&admin),
            json!({"role": "client", "channel": "sms", "body": body}),
        )
        .await;
    assert_eq!(posted.status(), 202);

    let texts = wait_until("a text at every verified phone", WAIT * 4, || async {
        let texts: Vec<Value> = rig
            .app
            .client
            .get(format!("{}/sandbox/sms", rig.sandbox))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (texts.len() >= PHONES).then_some(texts)
    })
    .await;
    let mut numbers: Vec<&str> = texts.iter().filter_map(|t| t["to"].as_str()).collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), PHONES, "each phone once");
    assert!(texts.iter().all(|t| t["body"] == body));

    let delivered = wait_until("every delivery report", WAIT * 2, || async {
        let counts: (i64, i64) = sqlx::query_as(
            "SELECT count(*), count(*) FILTER (WHERE status = 'delivered') FROM sms_messages \
             WHERE purpose = 'notification'",
        )
        .fetch_one(&rig.app.pool)
        .await
        .ok()?;
        (counts.1 == PHONES as i64).then_some(counts)
    })
    .await;
    assert_eq!(delivered.0, PHONES as i64, "one message per recipient");
    let jobs: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE kind = 'sms.send.v1' AND status = 'succeeded'",
    )
    .fetch_one(&rig.app.pool)
    .await
    .expect("jobs");
    assert_eq!(jobs, PHONES as i64);
    assert_eq!(
        rig.texts("+22890001003").await.len(),
        0,
        "unverified: in-app only"
    );
}

/// Waits for the `n`th text to `phone` and returns its body.
async fn nth_body(rig: &Rig, phone: &str, n: usize) -> String {
    rig.nth_text(phone, n).await["body"]
        .as_str()
        .expect("a body")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_only_clients_hear_of_their_order_placed_paid_and_shipped_in_their_language() {
    let rig = Rig::start(&[]).await;
    let anglophone = phone("+228");
    let token = rig.verified_phone_client(&anglophone, Some("en")).await;
    let order = rig
        .order_by(anglophone.clone(), token, 5_000, "XOF", 2)
        .await;
    let order_ref = reference(order.id);
    let placed = nth_body(&rig, &anglophone, 2).await;
    assert_eq!(
        placed,
        format!("Comptoir: order {order_ref} at Chez Awa received (10000 XOF). Thank you!")
    );

    let payment = rig.start_payment(&order, "paygate").await;
    let checkout = rig.checkout_id(&order, payment).await;
    rig.customer("paygate", &checkout, "pay").await;
    let paid = nth_body(&rig, &anglophone, 3).await;
    assert_eq!(
        paid,
        format!("Comptoir: payment of 10000 XOF received for order {order_ref} at Chez Awa.")
    );

    for status in ["preparing", "shipped"] {
        let moved = rig
            .app
            .patch(
                &format!("/v1/orders/{}", order.id),
                Some(&order.shop.owner_token),
                json!({"status": status}),
            )
            .await;
        assert_eq!(moved.status(), 200);
    }
    let shipped = nth_body(&rig, &anglophone, 4).await;
    assert!(shipped.contains("has been shipped"), "{shipped}");

    // Without a chosen language, French (sms.default_locale); with an email, no texts at all.
    let francophone = phone("+225");
    let token = rig.verified_phone_client(&francophone, None).await;
    let order = rig
        .order_by(francophone.clone(), token, 700, "XOF", 1)
        .await;
    let placed = nth_body(&rig, &francophone, 2).await;
    assert_eq!(
        placed,
        format!(
            "Comptoir : commande {} chez Chez Awa reçue (700 XOF). Merci !",
            reference(order.id)
        )
    );
    let emailed = rig.order(700, "XOF", 1).await;
    let texts: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sms_messages m JOIN orders o ON o.client_id = m.user_id \
         WHERE o.id = $1",
    )
    .bind(emailed.id)
    .fetch_one(&rig.app.pool)
    .await
    .expect("count");
    assert_eq!(texts, 0, "clients with an email get emails");
    assert_eq!(rig.texts(&anglophone).await.len(), 4, "each status once");
}
