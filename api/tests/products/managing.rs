//! Sellers managing products: ownership, the item limit (also under concurrent creations),
//! SKU uniqueness and validation.

use serde_json::json;

use comptoir_domain::types::Role;
use comptoir_testkit::spawn_app;

use super::{body, create, product, shop};

#[tokio::test]
async fn sellers_manage_only_their_own_products() {
    let app = spawn_app().await;
    let (shop_id, seller, admin) = shop(&app, 10).await;
    let (_, other_seller, _) = shop(&app, 10).await;
    let (_, client) = app.user_with_role(Role::Client).await;
    let (_, maintainer) = app.user_with_role(Role::Maintainer).await;

    let created = create(&app, &seller, product(&shop_id, "B-1", 12500)).await;
    assert_eq!(
        created["price"],
        json!({"amount": 12500, "currency": "XOF"})
    );
    let path = format!("/v1/products/{}", created["id"].as_str().expect("id"));
    assert_eq!(
        app.post(
            "/v1/products",
            Some(&other_seller),
            product(&shop_id, "B-2", 100)
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        app.post("/v1/products", Some(&client), product(&shop_id, "B-2", 100))
            .await
            .status(),
        403
    );
    assert_eq!(
        app.post("/v1/products", None, product(&shop_id, "B-2", 100))
            .await
            .status(),
        401
    );
    assert_eq!(
        create(&app, &maintainer, product(&shop_id, "B-3", 100)).await["shop_id"],
        json!(shop_id)
    );

    assert_eq!(
        app.patch(&path, Some(&other_seller), json!({"stock": 1}))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.patch(&path, Some(&client), json!({"stock": 1}))
            .await
            .status(),
        403
    );
    assert_eq!(
        body(app.patch(&path, Some(&seller), json!({"stock": 1})).await).await["stock"],
        1
    );
    assert_eq!(
        body(app.patch(&path, Some(&admin), json!({"stock": 2})).await).await["stock"],
        2
    );
    assert_eq!(
        app.request(reqwest::Method::DELETE, &path, Some(&other_seller), None)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.request(reqwest::Method::DELETE, &path, Some(&seller), None)
            .await
            .status(),
        204
    );
    assert_eq!(app.get(&path, Some(&seller)).await.status(), 404, "deleted");
    let log = body(
        app.get(
            &format!(
                "/v1/action-logs?action=product.deleted&target_id={}",
                created["id"].as_str().expect("id")
            ),
            Some(&admin),
        )
        .await,
    )
    .await;
    assert_eq!(log["total"], 1);
}

#[tokio::test]
async fn the_item_limit_and_sku_uniqueness_hold() {
    let app = spawn_app().await;
    let (shop_id, seller, _) = shop(&app, 2).await;
    let first = create(&app, &seller, product(&shop_id, "A", 100)).await;
    let duplicate = app
        .post("/v1/products", Some(&seller), product(&shop_id, "A", 100))
        .await;
    assert_eq!(duplicate.status(), 409);
    assert_eq!(body(duplicate).await["code"], "sku_taken");
    create(&app, &seller, product(&shop_id, "B", 100)).await;
    let over = app
        .post("/v1/products", Some(&seller), product(&shop_id, "C", 100))
        .await;
    assert_eq!(over.status(), 409);
    assert_eq!(body(over).await["code"], "item_limit_reached");
    // A deleted product frees its slot.
    let path = format!("/v1/products/{}", first["id"].as_str().expect("id"));
    app.request(reqwest::Method::DELETE, &path, Some(&seller), None)
        .await;
    create(&app, &seller, product(&shop_id, "C", 100)).await;
}

#[tokio::test]
async fn concurrent_creations_cannot_overshoot_the_item_limit() {
    let app = spawn_app().await;
    let (shop_id, seller, _) = shop(&app, 3).await;
    let attempts = (0..10).map(|i| {
        app.post(
            "/v1/products",
            Some(&seller),
            product(&shop_id, &format!("R-{i}"), 100),
        )
    });
    let statuses: Vec<u16> = futures::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        7,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn products_are_validated() {
    let app = spawn_app().await;
    let (shop_id, seller, _) = shop(&app, 10).await;
    let bad = json!({"shop_id": shop_id, "sku": "", "name": "X", "price": {"amount": 0, "currency": "xof"}, "stock": -1, "variations": {}});
    let problem = body(app.post("/v1/products", Some(&seller), bad).await).await;
    for field in ["sku", "price", "stock", "variations"] {
        assert!(problem["errors"][field].is_array(), "{field}: {problem}");
    }
    let float_price = json!({"shop_id": shop_id, "sku": "F", "name": "X", "price": {"amount": 12.5, "currency": "XOF"}, "stock": 1});
    assert_eq!(
        app.post("/v1/products", Some(&seller), float_price)
            .await
            .status(),
        422,
        "money is never a float"
    );
    let made_up_currency = json!({"shop_id": shop_id, "sku": "Z", "name": "X", "price": {"amount": 500, "currency": "ZZZ"}, "stock": 1});
    let problem = body(
        app.post("/v1/products", Some(&seller), made_up_currency)
            .await,
    )
    .await;
    assert!(
        problem["errors"]["price"].is_array(),
        "ZZZ is no currency: {problem}"
    );
    let unknown_category = json!({"shop_id": shop_id, "sku": "U", "name": "X", "price": {"amount": 5, "currency": "XOF"}, "stock": 1, "category_id": uuid::Uuid::now_v7()});
    assert_eq!(
        app.post("/v1/products", Some(&seller), unknown_category)
            .await
            .status(),
        422
    );
}
