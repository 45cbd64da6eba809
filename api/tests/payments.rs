//! Starting a payment and reading payments: who may, what is validated, what is recorded.

use serde_json::{Value, json};

use comptoir_domain::types::Role;
use comptoir_testkit::app::{TestApp, assert_problem};
use comptoir_testkit::market::TestProduct;
use comptoir_testkit::spawn_app_with;

/// The API with Stripe and PayGate configured and CinetPay not.
async fn app() -> TestApp {
    spawn_app_with(&[
        ("payments.stripe.secret_key", json!("sk_test_payments")),
        ("payments.stripe.webhook_secret", json!("whsec_payments")),
        ("payments.paygate.auth_token", json!("paygate-token")),
    ])
    .await
}

struct Placed {
    order_id: String,
    client_token: String,
    seller_token: String,
    admin_token: String,
}

async fn placed_order(app: &TestApp) -> Placed {
    let shop = app.shop().await;
    // CFA francs: every provider takes them.
    let product = app
        .product(
            shop.id,
            TestProduct {
                currency: "XOF",
                ..TestProduct::new(2_500, 10)
            },
        )
        .await;
    let (_, client_token) = app.user_with_role(Role::Client).await;
    let order = app
        .post(
            "/v1/orders",
            Some(&client_token),
            json!({"items": [{"product_id": product, "quantity": 2}]}),
        )
        .await;
    assert_eq!(order.status(), 201);
    let order: Value = order.json().await.expect("order");
    Placed {
        order_id: order["id"].as_str().expect("id").to_owned(),
        client_token,
        seller_token: shop.owner_token,
        admin_token: shop.admin_token,
    }
}

async fn start(app: &TestApp, placed: &Placed, token: &str, body: Value) -> reqwest::Response {
    app.post(
        &format!("/v1/orders/{}/payments", placed.order_id),
        Some(token),
        body,
    )
    .await
}

#[tokio::test]
async fn a_client_starts_paying_their_order_and_a_job_asks_the_provider() {
    let app = app().await;
    let placed = placed_order(&app).await;
    let response = start(
        &app,
        &placed,
        &placed.client_token,
        json!({"provider": "stripe"}),
    )
    .await;
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let payment: Value = response.json().await.expect("payment");
    assert_eq!(
        location,
        format!("/v1/payments/{}", payment["id"].as_str().expect("id"))
    );
    assert_eq!(payment["status"], "initiating");
    assert_eq!(
        payment["amount"],
        json!({"amount": 5_000, "currency": "XOF"})
    );

    let read: Value = app
        .get(&location, Some(&placed.client_token))
        .await
        .json()
        .await
        .expect("read");
    assert_eq!(read["status"], "initiating");
    assert_eq!(read["provider"], "stripe");
    assert_eq!(
        read["refunded_amount"],
        json!({"amount": 0, "currency": "XOF"})
    );
    assert_eq!(read["events"], json!([]));

    let (jobs,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM jobs WHERE kind = 'payments.initiate.v1' AND payload->>'payment_id' = $1",
    )
    .bind(payment["id"].as_str())
    .fetch_one(&app.pool)
    .await
    .expect("jobs");
    assert_eq!(jobs, 1, "the initiation is enqueued with the payment");
}

#[tokio::test]
async fn the_same_idempotency_key_starts_one_payment() {
    let app = app().await;
    let placed = placed_order(&app).await;
    let send = || {
        app.client
            .post(format!(
                "{}/v1/orders/{}/payments",
                app.address, placed.order_id
            ))
            .bearer_auth(&placed.client_token)
            .header("Idempotency-Key", "pay-once")
            .json(&json!({"provider": "stripe"}))
            .send()
    };
    let first: Value = send().await.expect("answers").json().await.expect("json");
    let again = send().await.expect("answers");
    assert_eq!(again.status(), 202);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.expect("json");
    assert_eq!(first["id"], again["id"]);
}

#[tokio::test]
async fn bad_requests_are_refused_with_their_codes() {
    let app = app().await;
    let placed = placed_order(&app).await;
    let token = placed.client_token.as_str();
    for (body, code) in [
        (json!({"provider": "bitcoin"}), "validation_failed"),
        (json!({"provider": "paygate"}), "validation_failed"),
        (
            json!({"provider": "paygate", "phone": "90000000"}),
            "validation_failed",
        ),
        (
            json!({"provider": "stripe", "return_url": "javascript:alert(1)"}),
            "validation_failed",
        ),
        (json!({"provider": "cinetpay"}), "provider_unavailable"),
    ] {
        assert_problem(start(&app, &placed, token, body.clone()).await, 422, code).await;
    }
    let paygate = start(
        &app,
        &placed,
        token,
        json!({"provider": "paygate", "phone": "+22890000000"}),
    )
    .await;
    assert_eq!(paygate.status(), 202);

    // A euro order cannot be paid in Flooz or T-Money.
    let shop = app.shop().await;
    let product = app.product(shop.id, TestProduct::new(2_500, 10)).await;
    let euros = app
        .post(
            "/v1/orders",
            Some(token),
            json!({"items": [{"product_id": product, "quantity": 1}]}),
        )
        .await;
    let euros: Value = euros.json().await.expect("order");
    let refused = app
        .post(
            &format!("/v1/orders/{}/payments", euros["id"].as_str().expect("id")),
            Some(token),
            json!({"provider": "paygate", "phone": "+22890000000"}),
        )
        .await;
    assert_problem(refused, 422, "currency_not_supported").await;
}

#[tokio::test]
async fn only_the_orders_client_pays_and_only_a_pending_order() {
    let app = app().await;
    let placed = placed_order(&app).await;
    let (_, stranger) = app.user_with_role(Role::Client).await;
    let body = json!({"provider": "stripe"});
    assert_problem(
        start(&app, &placed, &stranger, body.clone()).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        start(&app, &placed, &placed.seller_token, body.clone()).await,
        404,
        "not_found",
    )
    .await;
    let anonymous = app
        .post(
            &format!("/v1/orders/{}/payments", placed.order_id),
            None,
            body.clone(),
        )
        .await;
    assert_eq!(anonymous.status(), 401);

    let cancelled = app
        .patch(
            &format!("/v1/orders/{}", placed.order_id),
            Some(&placed.client_token),
            json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(cancelled.status(), 200);
    assert_problem(
        start(&app, &placed, &placed.client_token, body).await,
        409,
        "order_not_payable",
    )
    .await;
}

#[tokio::test]
async fn payments_are_read_within_the_callers_scope() {
    let app = app().await;
    let placed = placed_order(&app).await;
    let started: Value = start(
        &app,
        &placed,
        &placed.client_token,
        json!({"provider": "stripe"}),
    )
    .await
    .json()
    .await
    .expect("payment");
    let path = format!("/v1/payments/{}", started["id"].as_str().expect("id"));
    for token in [
        &placed.client_token,
        &placed.seller_token,
        &placed.admin_token,
    ] {
        assert_eq!(app.get(&path, Some(token)).await.status(), 200);
    }
    let other_shop = app.shop().await;
    let (_, stranger) = app.user_with_role(Role::Client).await;
    for token in [&stranger, &other_shop.owner_token] {
        assert_problem(app.get(&path, Some(token)).await, 404, "not_found").await;
        let listed: Value = app
            .get("/v1/payments", Some(token))
            .await
            .json()
            .await
            .expect("list");
        assert_eq!(listed["total"], 0);
    }
    assert_eq!(app.get(&path, None).await.status(), 401);

    let filtered = format!(
        "/v1/payments?order_id={}&status=initiating&provider=stripe",
        placed.order_id
    );
    let listed: Value = app
        .get(&filtered, Some(&placed.seller_token))
        .await
        .json()
        .await
        .expect("list");
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["id"], started["id"]);
    assert_problem(
        app.get("/v1/payments?status=paid", Some(&placed.admin_token))
            .await,
        422,
        "validation_failed",
    )
    .await;
}

async fn post_paygate(app: &TestApp, body: Value) -> reqwest::Response {
    app.client
        .post(format!("{}/v1/webhooks/mobile-money/paygate", app.address))
        .json(&body)
        .send()
        .await
        .expect("the API answers")
}

#[tokio::test]
async fn paygate_callbacks_are_hints_taken_only_for_known_payments() {
    let app = app().await;
    let placed = placed_order(&app).await;
    let started: Value = start(
        &app,
        &placed,
        &placed.client_token,
        json!({"provider": "paygate", "phone": "+22890000000"}),
    )
    .await
    .json()
    .await
    .expect("payment");
    let payment_id = started["id"].as_str().expect("id");
    let callback = json!({
        "tx_reference": 4_671_135, "identifier": payment_id, "payment_reference": "13171916025",
        "amount": 5000, "datetime": "2026-12-02T10:00:00.000Z", "payment_method": "T-Money",
        "phone_number": "22890000000",
    });
    for _ in 0..2 {
        assert_eq!(post_paygate(&app, callback.clone()).await.status(), 200);
    }
    let read: Value = app
        .get(
            &format!("/v1/payments/{payment_id}"),
            Some(&placed.client_token),
        )
        .await
        .json()
        .await
        .expect("payment");
    assert_eq!(read["events"].as_array().map(Vec::len), Some(1), "{read}");
    assert_eq!(read["events"][0]["type"], "callback");

    let mut forged = callback.clone();
    forged["identifier"] = json!("00000000-0000-0000-0000-000000000001");
    assert_eq!(post_paygate(&app, forged).await.status(), 200);
    let mut not_ours = callback;
    not_ours["identifier"] = json!("ORDER-1");
    assert_eq!(post_paygate(&app, not_ours).await.status(), 200);
    let (stored,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM payment_events WHERE provider = 'paygate'")
            .fetch_one(&app.pool)
            .await
            .expect("count");
    assert_eq!(stored, 1, "callbacks for unknown payments are not stored");
    assert_problem(
        post_paygate(&app, json!({"amount": 5})).await,
        400,
        "malformed_callback",
    )
    .await;
}
