//! `Idempotency-Key` on POST /v1/orders.

use reqwest::Response;
use serde_json::{Value, json};

use comptoir_domain::types::Role;
use comptoir_testkit::market::TestProduct;
use comptoir_testkit::{TestApp, spawn_app};

use crate::{body, order_of, orders_in_db, refusal};

async fn post_with_key(app: &TestApp, token: &str, key: &str, order: &Value) -> Response {
    app.client
        .post(format!("{}/v1/orders", app.address))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(order)
        .send()
        .await
        .expect("the API answers")
}

#[tokio::test]
async fn a_replayed_order_returns_the_first_response_and_creates_nothing() {
    let app = spawn_app().await;
    let shop = app.shop().await;
    let product = app.product(shop.id, TestProduct::new(1000, 10)).await;
    let (_, client) = app.user_with_role(Role::Client).await;
    let (_, other_client) = app.user_with_role(Role::Client).await;
    let order = order_of(&[(product, 2)]);

    let first = post_with_key(&app, &client, "checkout-42", &order).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let location = first.headers()["location"].clone();
    let first = body(first).await;

    let replay = post_with_key(&app, &client, "checkout-42", &order).await;
    assert_eq!(replay.status(), 201);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.headers()["location"], location);
    let replay = body(replay).await;
    assert_eq!(replay["id"], first["id"]);
    assert_eq!(replay, first);
    assert_eq!(orders_in_db(&app).await, 1);
    assert_eq!(
        app.stock_and_sales(product).await,
        (8, 2),
        "decremented once"
    );

    let other_body = order_of(&[(product, 3)]);
    let (status, code, _) =
        refusal(post_with_key(&app, &client, "checkout-42", &other_body).await).await;
    assert_eq!((status, code.as_str()), (422, "idempotency_key_reused"));
    assert_eq!(orders_in_db(&app).await, 1);

    // Keys belong to their user: another client's identical key is a new order.
    let theirs = post_with_key(&app, &other_client, "checkout-42", &order).await;
    assert_eq!(theirs.status(), 201);
    assert_ne!(body(theirs).await["id"], first["id"]);
    assert_eq!(orders_in_db(&app).await, 2);

    let too_long = "k".repeat(256);
    let (status, code, _) = refusal(post_with_key(&app, &client, &too_long, &order).await).await;
    assert_eq!((status, code.as_str()), (422, "validation_failed"));
    assert_eq!(
        post_with_key(&app, &client, &"k".repeat(255), &order)
            .await
            .status(),
        201
    );
}

#[tokio::test]
async fn a_refused_order_keeps_no_key_and_can_be_retried() {
    let app = spawn_app().await;
    let shop = app.shop().await;
    let product = app.product(shop.id, TestProduct::new(1000, 1)).await;
    let (_, client) = app.user_with_role(Role::Client).await;
    let order = order_of(&[(product, 2)]);
    let (status, code, _) = refusal(post_with_key(&app, &client, "retry-me", &order).await).await;
    assert_eq!((status, code.as_str()), (409, "insufficient_stock"));
    sqlx::query("UPDATE products SET stock = 5 WHERE id = $1")
        .bind(product)
        .execute(&app.pool)
        .await
        .expect("restock");
    assert_eq!(
        post_with_key(&app, &client, "retry-me", &order)
            .await
            .status(),
        201
    );
    assert_eq!(app.stock_and_sales(product).await, (3, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_duplicates_make_one_order() {
    let app = spawn_app().await;
    let shop = app.shop().await;
    let product = app.product(shop.id, TestProduct::new(1000, 100)).await;
    let (_, client) = app.user_with_role(Role::Client).await;
    let order = json!({"items": [{"product_id": product, "quantity": 1}], "coupon_code": null});
    let attempts = (0..6).map(|_| post_with_key(&app, &client, "double-click", &order));
    let mut ids = Vec::new();
    for response in futures::future::join_all(attempts).await {
        match response.status().as_u16() {
            201 => ids.push(body(response).await["id"].clone()),
            409 => assert_eq!(body(response).await["code"], "idempotency_key_in_use"),
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(!ids.is_empty());
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(orders_in_db(&app).await, 1);
    assert_eq!(app.stock_and_sales(product).await, (99, 1));
    // Once the first is done, the key replays.
    let replay = post_with_key(&app, &client, "double-click", &order).await;
    assert_eq!(body(replay).await["id"], ids[0]);
}
