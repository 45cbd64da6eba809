//! Placing orders: what an order records, who may place one, what is refused.

use serde_json::{Value, json};
use uuid::Uuid;

use comptoir_domain::types::Role;
use comptoir_testkit::market::TestProduct;
use comptoir_testkit::spawn_app;

use crate::{body, id_of, order_of, orders_in_db, place, refusal};

#[tokio::test]
async fn a_client_order_snapshots_prices_moves_stock_and_enqueues_its_confirmation() {
    let app = spawn_app().await;
    let shop = app.shop().await;
    let wax = app.product(shop.id, TestProduct::new(1250, 10)).await;
    let bag = app.product(shop.id, TestProduct::new(999, 3)).await;
    let (client_id, client) = app.user_with_role(Role::Client).await;

    let mut request = order_of(&[(wax, 2), (bag, 1)]);
    request["shipping_address"] = json!({"city": "Dakar", "street": "Rue 10"});
    let response = app.post("/v1/orders", Some(&client), request).await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let order = body(response).await;
    assert_eq!(location, format!("/v1/orders/{}", id_of(&order)));
    assert_eq!(order["status"], "pending");
    assert_eq!(order["client_id"], json!(client_id));
    assert_eq!(order["shop_id"], json!(shop.id));
    assert_eq!(
        order["subtotal"],
        json!({"amount": 3499, "currency": "EUR"})
    );
    assert_eq!(order["discount"], json!({"amount": 0, "currency": "EUR"}));
    assert_eq!(order["total"], json!({"amount": 3499, "currency": "EUR"}));
    assert_eq!(order["shipping_address"]["city"], "Dakar");
    let lines = order["lines"].as_array().expect("lines");
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["product_id"], json!(wax));
    assert_eq!(
        lines[0]["unit_price"],
        json!({"amount": 1250, "currency": "EUR"})
    );
    assert_eq!(lines[0]["quantity"], 2);
    assert_eq!(lines[0]["line_total"]["amount"], 2500);
    assert!(lines[1]["sku"].as_str().expect("sku").starts_with("SKU-"));

    // Lines are snapshots: a later price change does not alter the order.
    sqlx::query("UPDATE products SET price_amount = 5, name = 'Renamed' WHERE id = $1")
        .bind(wax)
        .execute(&app.pool)
        .await
        .expect("update");
    let path = format!("/v1/orders/{}", id_of(&order));
    let again = body(app.get(&path, Some(&client)).await).await;
    assert_eq!(again["lines"], order["lines"]);
    assert_eq!(app.stock_and_sales(wax).await, (8, 2));
    assert_eq!(app.stock_and_sales(bag).await, (2, 1));

    let dedupe_key = format!("order-confirmation:{}", id_of(&order));
    let job: Value = sqlx::query_scalar(
        "SELECT payload FROM jobs WHERE kind = 'email.send.v1' AND payload ->> 'dedupe_key' = $1",
    )
    .bind(&dedupe_key)
    .fetch_one(&app.pool)
    .await
    .expect("a confirmation job");
    assert_eq!(job["message"]["template"], "order_confirmation");
    assert_eq!(job["message"]["total"], 3499);
}

#[tokio::test]
async fn only_clients_place_orders() {
    let app = spawn_app().await;
    let shop = app.shop().await;
    let product = app.product(shop.id, TestProduct::new(500, 100)).await;
    let (_, other_seller) = app.user_with_role(Role::Seller).await;
    let (_, maintainer) = app.user_with_role(Role::Maintainer).await;
    let (_, superadmin) = app.user_with_role(Role::Superadmin).await;
    let (_, client) = app.user_with_role(Role::Client).await;
    let order = order_of(&[(product, 1)]);
    for (who, token, status) in [
        ("anonymous", None, 401),
        ("owning seller", Some(shop.owner_token.as_str()), 403),
        ("other seller", Some(other_seller.as_str()), 403),
        ("maintainer", Some(maintainer.as_str()), 403),
        ("superadmin", Some(superadmin.as_str()), 403),
        ("client", Some(client.as_str()), 201),
    ] {
        let response = app.post("/v1/orders", token, order.clone()).await;
        assert_eq!(response.status(), status, "{who}");
    }
    assert_eq!(orders_in_db(&app).await, 1);
}

#[tokio::test]
async fn malformed_orders_are_refused_field_by_field() {
    let app = spawn_app().await;
    let shop = app.shop().await;
    let product = app.product(shop.id, TestProduct::new(500, 10)).await;
    let (_, client) = app.user_with_role(Role::Client).await;
    let many: Vec<(Uuid, i32)> = (0..101).map(|_| (Uuid::now_v7(), 1)).collect();
    for (order, field) in [
        (order_of(&[]), "items"),
        (order_of(&many), "items"),
        (order_of(&[(product, 0)]), "items[0].quantity"),
        (order_of(&[(product, 1001)]), "items[0].quantity"),
        (
            order_of(&[(product, 1), (product, 2)]),
            "items[1].product_id",
        ),
        (
            json!({"items": [{"product_id": product, "quantity": 1}], "coupon_code": " "}),
            "coupon_code",
        ),
        (
            json!({"items": [{"product_id": product, "quantity": 1}], "shipping_address": "Dakar"}),
            "shipping_address",
        ),
    ] {
        let response = app.post("/v1/orders", Some(&client), order.clone()).await;
        assert_eq!(response.status(), 422, "{order}");
        let problem = body(response).await;
        assert_eq!(problem["code"], "validation_failed");
        assert!(problem["errors"][field].is_array(), "{field}: {problem}");
    }
    let extra = json!({"items": [{"product_id": product, "quantity": 1}], "total": 1});
    assert_eq!(
        app.post("/v1/orders", Some(&client), extra).await.status(),
        422
    );
    assert_eq!(orders_in_db(&app).await, 0);
    assert_eq!(app.stock_and_sales(product).await, (10, 0));
}

#[tokio::test]
async fn products_not_for_sale_and_mixed_shops_are_refused_without_touching_stock() {
    let app = spawn_app().await;
    let (shop, other_shop) = (app.shop().await, app.shop().await);
    let on_sale = app.product(shop.id, TestProduct::new(500, 10)).await;
    let elsewhere = app.product(other_shop.id, TestProduct::new(500, 10)).await;
    let unpublished = app
        .product(
            shop.id,
            TestProduct {
                published: false,
                ..TestProduct::new(500, 10)
            },
        )
        .await;
    let deleted = app.product(shop.id, TestProduct::new(500, 10)).await;
    sqlx::query("UPDATE products SET deleted_at = now() WHERE id = $1")
        .bind(deleted)
        .execute(&app.pool)
        .await
        .expect("soft delete");
    let in_dollars = app
        .product(
            shop.id,
            TestProduct {
                currency: "USD",
                ..TestProduct::new(500, 10)
            },
        )
        .await;
    let (_, client) = app.user_with_role(Role::Client).await;

    let (status, code, _) = refusal(
        app.post(
            "/v1/orders",
            Some(&client),
            order_of(&[(on_sale, 1), (elsewhere, 1)]),
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (422, "mixed_shops"));
    let (status, code, _) = refusal(
        app.post(
            "/v1/orders",
            Some(&client),
            order_of(&[(on_sale, 1), (in_dollars, 1)]),
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (422, "mixed_currencies"));
    for unavailable in [unpublished, deleted, Uuid::now_v7()] {
        let order = order_of(&[(on_sale, 1), (unavailable, 1)]);
        let (status, code, detail) =
            refusal(app.post("/v1/orders", Some(&client), order).await).await;
        assert_eq!((status, code.as_str()), (422, "product_unavailable"));
        assert!(detail.contains(&unavailable.to_string()), "{detail}");
    }
    // A blocked shop sells nothing.
    let blocked = app
        .patch(
            &format!("/v1/shops/{}", other_shop.id),
            Some(&other_shop.admin_token),
            json!({"status": "blocked"}),
        )
        .await;
    assert_eq!(blocked.status(), 200);
    let (status, code, detail) = refusal(
        app.post("/v1/orders", Some(&client), order_of(&[(elsewhere, 1)]))
            .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (422, "product_unavailable"));
    assert!(detail.contains(&elsewhere.to_string()), "{detail}");

    assert_eq!(orders_in_db(&app).await, 0);
    for product in [on_sale, elsewhere, unpublished, deleted, in_dollars] {
        assert_eq!(app.stock_and_sales(product).await, (10, 0));
    }
}

#[tokio::test]
async fn short_stock_is_409_naming_the_product_and_nothing_is_decremented() {
    let app = spawn_app().await;
    let shop = app.shop().await;
    let plenty = app.product(shop.id, TestProduct::new(500, 5)).await;
    let scarce = app.product(shop.id, TestProduct::new(500, 1)).await;
    let (_, client) = app.user_with_role(Role::Client).await;
    let order = order_of(&[(plenty, 2), (scarce, 2)]);
    let (status, code, detail) = refusal(app.post("/v1/orders", Some(&client), order).await).await;
    assert_eq!((status, code.as_str()), (409, "insufficient_stock"));
    assert!(detail.contains(&scarce.to_string()), "{detail}");
    assert!(!detail.contains(&plenty.to_string()), "{detail}");
    assert_eq!(app.stock_and_sales(plenty).await, (5, 0));
    assert_eq!(app.stock_and_sales(scarce).await, (1, 0));
    assert_eq!(orders_in_db(&app).await, 0);
    // The exact remaining stock can be ordered.
    place(&app, &client, order_of(&[(plenty, 5), (scarce, 1)])).await;
    assert_eq!(app.stock_and_sales(scarce).await, (0, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_clients_racing_for_the_last_item_make_exactly_one_order() {
    let app = spawn_app().await;
    let shop = app.shop().await;
    let last = app.product(shop.id, TestProduct::new(900, 1)).await;
    let common = app.product(shop.id, TestProduct::new(100, 50)).await;
    let mut clients = Vec::new();
    for _ in 0..10 {
        clients.push(app.user_with_role(Role::Client).await.1);
    }
    // Half list the products in the other order: locks are taken in id order, so no deadlock.
    let attempts = clients.iter().enumerate().map(|(n, client)| {
        let items = if n % 2 == 0 {
            [(last, 1), (common, 2)]
        } else {
            [(common, 2), (last, 1)]
        };
        let app = &app;
        async move { refusal(app.post("/v1/orders", Some(client), order_of(&items)).await).await }
    });
    let outcomes = futures::future::join_all(attempts).await;
    let won = outcomes
        .iter()
        .filter(|(status, _, _)| *status == 201)
        .count();
    assert_eq!(won, 1, "{outcomes:?}");
    for (status, code, detail) in outcomes.iter().filter(|(status, _, _)| *status != 201) {
        assert_eq!((*status, code.as_str()), (409, "insufficient_stock"));
        assert!(detail.contains(&last.to_string()), "{detail}");
    }
    assert_eq!(app.stock_and_sales(last).await, (0, 1));
    assert_eq!(app.stock_and_sales(common).await, (48, 2));
    assert_eq!(orders_in_db(&app).await, 1);
}
