//! The status machine and the stock that cancellations return.

use serde_json::json;

use comptoir_domain::types::Role;
use comptoir_testkit::market::TestProduct;
use comptoir_testkit::spawn_app;

use crate::{id_of, order_of, place, refusal};

#[tokio::test]
async fn the_status_machine_refuses_illegal_moves_and_cancelling_returns_stock() {
    let app = spawn_app().await;
    let shop = app.shop().await;
    let product = app.product(shop.id, TestProduct::new(300, 10)).await;
    let (_, client) = app.user_with_role(Role::Client).await;
    let seller = shop.owner_token.as_str();
    let to = |status: &str| json!({ "status": status });
    let new_order = || async {
        format!(
            "/v1/orders/{}",
            id_of(&place(&app, &client, order_of(&[(product, 3)])).await)
        )
    };

    let first = new_order().await;
    assert_eq!(app.stock_and_sales(product).await, (7, 3));
    for illegal in ["shipped", "delivered", "preparing", "pending"] {
        let (status, code, _) = refusal(app.patch(&first, Some(seller), to(illegal)).await).await;
        assert_eq!(
            (status, code.as_str()),
            (409, "illegal_transition"),
            "pending → {illegal}"
        );
    }
    // A paid order can still be cancelled by the seller; stock and sales go back.
    assert_eq!(
        app.patch(&first, Some(seller), to("paid")).await.status(),
        200
    );
    let cancelled = app.patch(&first, Some(seller), to("cancelled")).await;
    assert_eq!(cancelled.status(), 200);
    assert_eq!(app.stock_and_sales(product).await, (10, 0));
    for after in ["paid", "cancelled", "pending"] {
        let (status, code, _) = refusal(app.patch(&first, Some(seller), to(after)).await).await;
        assert_eq!(
            (status, code.as_str()),
            (409, "illegal_transition"),
            "cancelled → {after}"
        );
    }
    assert_eq!(app.stock_and_sales(product).await, (10, 0), "returned once");

    // The client cancels their own pending order, but not a paid one.
    let second = new_order().await;
    assert_eq!(
        app.patch(&second, Some(&client), to("cancelled"))
            .await
            .status(),
        200
    );
    assert_eq!(app.stock_and_sales(product).await, (10, 0));
    let third = new_order().await;
    assert_eq!(
        app.patch(&third, Some(seller), to("paid")).await.status(),
        200
    );
    let (status, code, _) = refusal(app.patch(&third, Some(&client), to("cancelled")).await).await;
    assert_eq!((status, code.as_str()), (409, "illegal_transition"));
    assert_eq!(app.stock_and_sales(product).await, (7, 3));
    // Past preparation nobody cancels.
    for status in ["preparing", "shipped"] {
        assert_eq!(
            app.patch(&third, Some(seller), to(status)).await.status(),
            200
        );
    }
    let (status, code, _) = refusal(
        app.patch(&third, Some(&shop.admin_token), to("cancelled"))
            .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (409, "illegal_transition"));
}

#[tokio::test]
async fn an_order_marked_paid_by_its_seller_records_a_manual_payment() {
    let app = spawn_app().await;
    let shop = app.shop().await;
    let product = app.product(shop.id, TestProduct::new(1_500, 10)).await;
    let (_, client) = app.user_with_role(Role::Client).await;
    let order = id_of(&place(&app, &client, order_of(&[(product, 2)])).await);

    let paid = app
        .patch(
            &format!("/v1/orders/{order}"),
            Some(&shop.owner_token),
            json!({"status": "paid"}),
        )
        .await;
    assert_eq!(paid.status(), 200);

    let listed = crate::body(
        app.get(&format!("/v1/payments?order_id={order}"), Some(&client))
            .await,
    )
    .await;
    let payments = listed["items"].as_array().expect("items");
    assert_eq!(payments.len(), 1, "{listed}");
    let manual = &payments[0];
    assert_eq!(manual["provider"], "manual");
    assert_eq!(manual["status"], "succeeded");
    assert_eq!(
        manual["amount"],
        json!({"amount": 3_000, "currency": "EUR"})
    );
    let log = crate::body(
        app.get(
            &format!("/v1/action-logs?target_id={order}"),
            Some(&shop.admin_token),
        )
        .await,
    )
    .await;
    assert_eq!(log["items"][0]["meta"]["payment_id"], manual["id"], "{log}");
}
