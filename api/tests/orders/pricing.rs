//! Promotions at checkout: coupons within their period and scope, flash sales, rounding.

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use comptoir_domain::types::Role;
use comptoir_testkit::market::TestProduct;
use comptoir_testkit::{TestApp, spawn_app};

use crate::{body, order_of, orders_in_db, place, refusal};

/// Creates a promotion running from `starts` to `ends` (relative to now) as `token`.
async fn promotion(
    app: &TestApp,
    token: &str,
    (code, kind, percent): (&str, &str, i32),
    (starts, ends): (Duration, Duration),
    shop_id: Option<Uuid>,
) -> Value {
    let now = Utc::now();
    let request = json!({
        "code": code, "kind": kind, "percent": percent, "shop_id": shop_id,
        "start_date": (now + starts).to_rfc3339(), "end_date": (now + ends).to_rfc3339(),
    });
    let response = app.post("/v1/promotions", Some(token), request).await;
    assert_eq!(response.status(), 201, "promotion {code}");
    body(response).await
}

fn with_coupon(order: Value, code: &str) -> Value {
    let mut order = order;
    order["coupon_code"] = json!(code);
    order
}

#[tokio::test]
async fn coupons_apply_only_within_their_period_and_scope_and_round_down() {
    let app = spawn_app().await;
    let (shop, other_shop) = (app.shop().await, app.shop().await);
    let product = app.product(shop.id, TestProduct::new(999, 100)).await;
    let admin = shop.admin_token.as_str();
    let running = (Duration::hours(-1), Duration::hours(1));
    let coupon = promotion(
        &app,
        admin,
        ("SHOP15", "coupon", 15),
        running,
        Some(shop.id),
    )
    .await;
    promotion(&app, admin, ("PLATFORM10", "coupon", 10), running, None).await;
    promotion(
        &app,
        admin,
        ("OTHER50", "coupon", 50),
        running,
        Some(other_shop.id),
    )
    .await;
    promotion(
        &app,
        admin,
        ("EXPIRED50", "coupon", 50),
        (Duration::days(-10), Duration::days(-1)),
        Some(shop.id),
    )
    .await;
    promotion(
        &app,
        admin,
        ("LATER50", "coupon", 50),
        (Duration::days(1), Duration::days(10)),
        None,
    )
    .await;
    let (_, client) = app.user_with_role(Role::Client).await;
    let order = order_of(&[(product, 1)]);

    for code in ["OTHER50", "EXPIRED50", "LATER50", "NOSUCHCODE"] {
        let (status, problem, _) = refusal(
            app.post(
                "/v1/orders",
                Some(&client),
                with_coupon(order.clone(), code),
            )
            .await,
        )
        .await;
        assert_eq!(
            (status, problem.as_str()),
            (422, "invalid_coupon"),
            "{code}"
        );
    }
    assert_eq!(orders_in_db(&app).await, 0);
    assert_eq!(app.stock_and_sales(product).await, (100, 0));

    // 15 % of 9.99 is 1.4985: the discount rounds down to 1.49.
    let placed = place(&app, &client, with_coupon(order.clone(), "shop15")).await;
    assert_eq!(placed["subtotal"]["amount"], 999);
    assert_eq!(
        placed["discount"],
        json!({"amount": 149, "currency": "EUR"})
    );
    assert_eq!(placed["total"]["amount"], 850);
    assert_eq!(placed["promotion_id"], coupon["id"]);

    // 10 % of 3 × 9.99 = 2.997 → 2.99 off.
    let platform = place(
        &app,
        &client,
        with_coupon(order_of(&[(product, 3)]), "PLATFORM10"),
    )
    .await;
    assert_eq!(
        (
            platform["subtotal"]["amount"].as_i64(),
            platform["discount"]["amount"].as_i64(),
            platform["total"]["amount"].as_i64()
        ),
        (Some(2997), Some(299), Some(2698))
    );
    let plain = place(&app, &client, order).await;
    assert_eq!(
        (
            plain["discount"]["amount"].as_i64(),
            plain["promotion_id"].is_null()
        ),
        (Some(0), true)
    );
}

#[tokio::test]
async fn flash_sales_apply_by_themselves_and_the_best_promotion_wins() {
    let app = spawn_app().await;
    let (shop, other_shop) = (app.shop().await, app.shop().await);
    let product = app.product(shop.id, TestProduct::new(2000, 100)).await;
    let elsewhere = app
        .product(other_shop.id, TestProduct::new(2000, 100))
        .await;
    let seller = shop.owner_token.as_str();
    let running = (Duration::hours(-1), Duration::hours(1));
    let flash = promotion(
        &app,
        seller,
        ("FLASH20", "flash", 20),
        running,
        Some(shop.id),
    )
    .await;
    promotion(
        &app,
        seller,
        ("OVERFLASH", "flash", 90),
        (Duration::days(-3), Duration::days(-2)),
        Some(shop.id),
    )
    .await;
    let coupon = promotion(
        &app,
        seller,
        ("BIG30", "coupon", 30),
        running,
        Some(shop.id),
    )
    .await;
    promotion(
        &app,
        seller,
        ("SMALL5", "coupon", 5),
        running,
        Some(shop.id),
    )
    .await;
    let (_, client) = app.user_with_role(Role::Client).await;

    let flashed = place(&app, &client, order_of(&[(product, 1)])).await;
    assert_eq!(
        (
            flashed["discount"]["amount"].as_i64(),
            &flashed["promotion_id"]
        ),
        (Some(400), &flash["id"])
    );
    let better_coupon = place(
        &app,
        &client,
        with_coupon(order_of(&[(product, 1)]), "big30"),
    )
    .await;
    assert_eq!(
        (
            better_coupon["discount"]["amount"].as_i64(),
            &better_coupon["promotion_id"]
        ),
        (Some(600), &coupon["id"])
    );
    let worse_coupon = place(
        &app,
        &client,
        with_coupon(order_of(&[(product, 1)]), "SMALL5"),
    )
    .await;
    assert_eq!(
        (
            worse_coupon["discount"]["amount"].as_i64(),
            &worse_coupon["promotion_id"]
        ),
        (Some(400), &flash["id"])
    );
    let other = place(&app, &client, order_of(&[(elsewhere, 1)])).await;
    assert_eq!(other["discount"]["amount"], 0, "another shop's flash sale");
}
