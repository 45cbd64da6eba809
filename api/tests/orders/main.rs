//! Orders: placing them (stock, shops, promotions, idempotency), who sees and moves them, the
//! status machine, and clients racing for the last items.

mod access;
mod idempotency;
mod lifecycle;
mod placing;
mod pricing;

use reqwest::Response;
use serde_json::{Value, json};
use uuid::Uuid;

use comptoir_testkit::TestApp;

pub async fn body(response: Response) -> Value {
    response.json().await.expect("json body")
}

pub fn order_of(items: &[(Uuid, i32)]) -> Value {
    let items: Vec<Value> = items
        .iter()
        .map(|(id, quantity)| json!({"product_id": id, "quantity": quantity}))
        .collect();
    json!({ "items": items })
}

/// Places an order and returns its body, asserting 201.
pub async fn place(app: &TestApp, client: &str, order: Value) -> Value {
    let response = app.post("/v1/orders", Some(client), order).await;
    let status = response.status();
    let order = body(response).await;
    assert_eq!(status, 201, "{order}");
    order
}

pub async fn refusal(response: Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let problem = body(response).await;
    (
        status,
        problem["code"].as_str().unwrap_or_default().to_owned(),
        problem["detail"].as_str().unwrap_or_default().to_owned(),
    )
}

pub async fn orders_in_db(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(&app.pool)
        .await
        .expect("count")
}

pub fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("id").to_owned()
}
