//! Who sees a quote and what a quote request or offer must be: other sellers and clients are
//! told nothing (404) on every route, the parties list it with their filters, and bad input is
//! refused with its reasons (no worker needed).

mod support;

use chrono::Utc;
use serde_json::{Value, json};
use uuid::Uuid;

use comptoir_domain::types::Role;
use comptoir_testkit::assert_problem;
use comptoir_testkit::market::TestProduct;
use support::quotes::{market, path};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_sellers_and_clients_are_told_nothing() {
    let m = market(&[]).await;
    let quote = m.request([1, 1]).await;
    let other_seller = m.app.shop().await.owner_token;
    let (_, other_client) = m.app.user_with_role(Role::Client).await;
    for token in [&other_seller, &other_client] {
        assert_problem(m.quote(&quote, token).await, 404, "not_found").await;
        let pdf = m.app.get(&path(&quote, "pdf"), Some(token)).await;
        assert_problem(pdf, 404, "not_found").await;
        let listed: Value = m
            .app
            .get("/v1/quotes", Some(token))
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(listed["total"], 0, "{listed}");
    }
    let body = json!({"lines": [{"product_id": m.products[0].0, "quantity": 1, "unit_price": 5}],
                      "valid_until": Utc::now() + chrono::Duration::days(1)});
    let refused = m
        .app
        .post(&path(&quote, "offer"), Some(&other_seller), body)
        .await;
    assert_problem(refused, 404, "not_found").await;
    for step in ["accept", "reject"] {
        for token in [&other_client, &m.seller] {
            let refused = m
                .app
                .post(&path(&quote, step), Some(token), json!({}))
                .await;
            assert_problem(refused, 404, "not_found").await;
        }
    }
    // The parties list it, filtered.
    let query = format!("/v1/quotes?status=requested&shop_id={}", m.shop);
    for token in [&m.client.token, &m.seller, &m.admin] {
        let listed: Value = m
            .app
            .get(&query, Some(token))
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(listed["items"][0]["id"], quote["id"], "{listed}");
    }
    let listed: Value = m
        .app
        .get("/v1/quotes?status=offered", Some(&m.seller))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["total"], 0);
    let bad = m
        .app
        .get("/v1/quotes?status=pending", Some(&m.seller))
        .await;
    assert_problem(bad, 422, "validation_failed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_and_offers_are_refused_with_their_reasons() {
    let m = market(&[]).await;
    let product = m.products[0].0;
    let elsewhere = m.app.shop().await;
    let foreign = m.app.product(elsewhere.id, TestProduct::new(100, 1)).await;
    let item = json!([{"product_id": product, "quantity": 1}]);
    for (body, status, code, field) in [
        (
            json!({"shop_id": m.shop, "items": [], "company_name": "A"}),
            422,
            "validation_failed",
            Some("items"),
        ),
        (
            json!({"shop_id": m.shop, "items": [{"product_id": product, "quantity": 10_001}], "company_name": "A"}),
            422,
            "validation_failed",
            Some("items[0].quantity"),
        ),
        (
            json!({"shop_id": m.shop, "items": [{"product_id": product, "quantity": 1}, {"product_id": product, "quantity": 2}],
            "company_name": "A"}),
            422,
            "validation_failed",
            Some("items[1].product_id"),
        ),
        (
            json!({"shop_id": m.shop, "items": item, "company_name": "  "}),
            422,
            "validation_failed",
            Some("company_name"),
        ),
        (
            json!({"shop_id": m.shop, "items": item, "company_name": "A", "vat_number": "X!"}),
            422,
            "validation_failed",
            Some("vat_number"),
        ),
        (
            json!({"shop_id": m.shop, "items": [{"product_id": foreign, "quantity": 1}], "company_name": "A"}),
            422,
            "product_unavailable",
            None,
        ),
        (
            json!({"shop_id": Uuid::now_v7(), "items": item, "company_name": "A"}),
            422,
            "shop_unavailable",
            None,
        ),
        (
            json!({"shop_id": m.shop, "items": item}),
            422,
            "validation_failed",
            None,
        ),
    ] {
        let refused = m.app.post("/v1/quotes", Some(&m.client.token), body).await;
        let problem = assert_problem(refused, status, code).await;
        if let Some(field) = field {
            assert!(problem["errors"][field].is_array(), "{field}: {problem}");
        }
    }
    let by_seller = json!({"shop_id": m.shop, "items": item, "company_name": "A"});
    assert_problem(
        m.app.post("/v1/quotes", Some(&m.seller), by_seller).await,
        403,
        "forbidden",
    )
    .await;

    let quote = m.request([1, 1]).await;
    let line = |quantity: i32, price: i64| json!([{"product_id": product, "quantity": quantity, "unit_price": price}]);
    let week = Utc::now() + chrono::Duration::days(7);
    for (body, field) in [
        (
            json!({"lines": line(1, 100), "valid_until": Utc::now() - chrono::Duration::minutes(1)}),
            "valid_until",
        ),
        (
            json!({"lines": line(0, 100), "valid_until": week}),
            "lines[0].quantity",
        ),
        (
            json!({"lines": line(1, 0), "valid_until": week}),
            "lines[0].unit_price",
        ),
        (json!({"lines": [], "valid_until": week}), "lines"),
    ] {
        let refused = m
            .app
            .post(&path(&quote, "offer"), Some(&m.seller), body)
            .await;
        let problem = assert_problem(refused, 422, "validation_failed").await;
        assert!(problem["errors"][field].is_array(), "{field}: {problem}");
    }
    let body = json!({"lines": [{"product_id": foreign, "quantity": 1, "unit_price": 5}], "valid_until": week});
    let refused = m
        .app
        .post(&path(&quote, "offer"), Some(&m.seller), body)
        .await;
    assert_problem(refused, 422, "product_unavailable").await;
}
