//! An order placed through the API is confirmed to its client by email, once.

mod support;

use std::time::Duration;

use serde_json::json;

use comptoir_testkit::app::unique_email;
use comptoir_testkit::mail::{messages_to, wait_for_messages};
use comptoir_testkit::market::TestProduct;
use comptoir_testkit::{TestApp, test_settings};
use support::{job_id_where, spawn_worker, wait_for_status};

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_placed_order_emails_its_client_a_confirmation() {
    let settings = test_settings(&[]).await;
    let app = TestApp::spawn(settings.clone()).await;
    let _worker = spawn_worker(&settings, &["email"]);
    let shop = app.shop().await;
    let product = app.product(shop.id, TestProduct::new(1250, 5)).await;
    let email = unique_email("buyer");
    let session = app.register(&email, "correct horse battery").await;
    let token = session["access_token"].as_str().expect("token");

    let order = json!({"items": [{"product_id": product, "quantity": 2}]});
    let placed = app.post("/v1/orders", Some(token), order).await;
    assert_eq!(placed.status(), 201);
    let order_id = placed.json::<serde_json::Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_owned();

    // The welcome email and the confirmation.
    wait_for_messages(&email, 2, WAIT).await;
    let confirmations: Vec<_> = messages_to(&email)
        .into_iter()
        .filter(|mail| mail.subject.starts_with("Your order at"))
        .collect();
    assert_eq!(confirmations.len(), 1);
    let mail = &confirmations[0];
    assert_eq!(mail.subject, "Your order at Chez Awa: 25.00 EUR");
    assert!(mail.text.contains(&order_id), "{}", mail.text);
    assert!(mail.text.contains("- 2 x Product"), "{}", mail.text);
    assert!(mail.html.contains("25.00 EUR"), "{}", mail.html);
    let key = json!(format!("order-confirmation:{order_id}"));
    let job = job_id_where(&app.pool, "email.send.v1", "dedupe_key", &key).await;
    assert_eq!(
        wait_for_status(&app.pool, job, "succeeded", WAIT)
            .await
            .attempts,
        1
    );
}
