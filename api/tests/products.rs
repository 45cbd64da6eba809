//! Products: the role matrix, item limits, SKUs, publishing, soft deletion, the public
//! catalogue's filters and sorts, and batched view counts.

use std::time::Duration;

use serde_json::{Value, json};

use comptoir_domain::types::Role;
use comptoir_testkit::{TestApp, spawn_app, wait_until};

async fn body(response: reqwest::Response) -> Value {
    response.json().await.expect("json body")
}

/// A shop owned by a fresh seller: (shop id, seller token, admin token).
async fn shop(app: &TestApp, item_limit: i32) -> (String, String, String) {
    let (_, admin) = app.user_with_role(Role::Superadmin).await;
    let email = comptoir_testkit::app::unique_email("seller");
    let session = app.register(&email, "correct horse battery").await;
    let shop = json!({"name": "Chez Awa", "owner_email": email, "duration_days": 30, "item_limit": item_limit});
    let shop = body(app.post("/v1/shops", Some(&admin), shop).await).await;
    (
        shop["id"].as_str().expect("id").to_owned(),
        session["access_token"].as_str().expect("token").to_owned(),
        admin,
    )
}

fn product(shop_id: &str, sku: &str, amount: i64) -> Value {
    json!({"shop_id": shop_id, "sku": sku, "name": format!("Boubou {sku}"), "price": {"amount": amount, "currency": "XOF"}, "stock": 5})
}

async fn create(app: &TestApp, token: &str, payload: Value) -> Value {
    let response = app.post("/v1/products", Some(token), payload).await;
    assert_eq!(response.status(), 201);
    body(response).await
}

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

#[tokio::test]
async fn unpublished_products_and_inactive_shops_leave_the_catalogue() {
    let app = spawn_app().await;
    let (shop_id, seller, admin) = shop(&app, 10).await;
    let item = create(&app, &seller, product(&shop_id, "P", 100)).await;
    let path = format!("/v1/products/{}", item["id"].as_str().expect("id"));
    let listing = format!("/v1/products?shop_id={shop_id}");
    let listed = body(app.get(&listing, None).await).await;
    assert_eq!(
        (&listed["total"], &listed["total_is_capped"]),
        (&json!(1), &json!(false))
    );

    app.patch(&path, Some(&seller), json!({"published": false}))
        .await;
    assert_eq!(body(app.get(&listing, None).await).await["total"], 0);
    assert_eq!(app.get(&path, None).await.status(), 404);
    assert_eq!(
        app.get(&path, Some(&seller)).await.status(),
        200,
        "the owner still sees it"
    );

    app.patch(&path, Some(&seller), json!({"published": true}))
        .await;
    app.patch(
        &format!("/v1/shops/{shop_id}"),
        Some(&admin),
        json!({"status": "blocked"}),
    )
    .await;
    assert_eq!(
        body(app.get(&listing, None).await).await["total"],
        0,
        "blocked shop hides its products"
    );
    assert_eq!(app.get(&path, None).await.status(), 404);
    app.patch(
        &format!("/v1/shops/{shop_id}"),
        Some(&admin),
        json!({"status": "active"}),
    )
    .await;
    assert_eq!(
        body(app.get(&listing, None).await).await["total"],
        1,
        "back with its shop"
    );
}

#[tokio::test]
async fn the_catalogue_filters_and_sorts() {
    let app = spawn_app().await;
    let (shop_id, seller, admin) = shop(&app, 50).await;
    let category = |name: &'static str, parent: Option<String>| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let created = app
                .post(
                    "/v1/categories",
                    Some(&admin),
                    json!({"name": name, "parent_id": parent}),
                )
                .await;
            body(created).await["id"].as_str().expect("id").to_owned()
        }
    };
    let fashion = category("Fashion", None).await;
    let shoes = category("Shoes", Some(fashion.clone())).await;
    let items = [
        ("S1", 3000, "red", "42", &shoes, "Leather sandals"),
        ("S2", 1000, "blue", "40", &shoes, "Canvas sneakers"),
        ("D1", 2000, "red", "M", &fashion, "Wax print dress"),
    ];
    for (sku, amount, color, size, category, name) in items {
        let category: &String = category;
        let mut payload = product(&shop_id, sku, amount);
        payload["color"] = json!(color);
        payload["size"] = json!(size);
        payload["category_id"] = json!(category);
        payload["name"] = json!(name);
        create(&app, &seller, payload).await;
    }
    let skus = |page: Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{page}"))
            .iter()
            .map(|p| p["sku"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let base = format!("/v1/products?shop_id={shop_id}");
    assert_eq!(
        skus(body(app.get(&format!("{base}&sort=price"), None).await).await),
        ["S2", "D1", "S1"]
    );
    assert_eq!(
        skus(body(app.get(&format!("{base}&sort=-price"), None).await).await),
        ["S1", "D1", "S2"]
    );
    assert_eq!(
        skus(body(app.get(&format!("{base}&sort=newest"), None).await).await),
        ["D1", "S2", "S1"]
    );
    assert_eq!(
        skus(
            body(
                app.get(&format!("{base}&category={fashion}&sort=price"), None)
                    .await
            )
            .await
        ),
        ["S2", "D1", "S1"],
        "sub-categories included"
    );
    assert_eq!(
        skus(
            body(
                app.get(&format!("{base}&category={shoes}&sort=price"), None)
                    .await
            )
            .await
        ),
        ["S2", "S1"]
    );
    assert_eq!(
        skus(body(app.get(&format!("{base}&color=red&sort=price"), None).await).await),
        ["D1", "S1"]
    );
    assert_eq!(
        skus(body(app.get(&format!("{base}&size=40"), None).await).await),
        ["S2"]
    );
    assert_eq!(
        skus(
            body(
                app.get(&format!("{base}&min_price=1500&max_price=2500"), None)
                    .await
            )
            .await
        ),
        ["D1"]
    );
    assert_eq!(
        skus(body(app.get(&format!("{base}&q=sandals"), None).await).await),
        ["S1"]
    );
    let page = body(
        app.get(&format!("{base}&sort=price&per_page=2&page=2"), None)
            .await,
    )
    .await;
    assert_eq!(
        (skus(page.clone()), page["total"].as_i64()),
        (vec!["S1".to_owned()], Some(3))
    );
    assert_eq!(
        app.get(&format!("{base}&sort=cheapest"), None)
            .await
            .status(),
        422
    );
    assert_eq!(
        app.get(&format!("{base}&min_price=10&max_price=5"), None)
            .await
            .status(),
        422
    );
}

#[tokio::test]
async fn product_views_are_counted_in_batches() {
    let app = spawn_app().await;
    let (shop_id, seller, _) = shop(&app, 10).await;
    let item = create(&app, &seller, product(&shop_id, "V", 100)).await;
    let id: uuid::Uuid = item["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("id");
    for _ in 0..3 {
        assert_eq!(
            app.get(&format!("/v1/products/{id}"), None).await.status(),
            200
        );
    }
    let views = wait_until(
        "the view counts to be flushed",
        Duration::from_secs(15),
        || async {
            let views: i64 = sqlx::query_scalar("SELECT views FROM products WHERE id = $1")
                .bind(id)
                .fetch_one(&app.pool)
                .await
                .expect("views");
            (views >= 3).then_some(views)
        },
    )
    .await;
    assert_eq!(views, 3);
}

#[tokio::test]
async fn shoppers_see_no_stock_counts_sales_or_owner_details() {
    let app = spawn_app().await;
    let (shop_id, seller, admin) = shop(&app, 10).await;
    let item = create(&app, &seller, product(&shop_id, "S", 100)).await;
    let path = format!("/v1/products/{}", item["id"].as_str().expect("id"));
    let public = body(app.get(&path, None).await).await;
    for hidden in ["stock", "sales", "views"] {
        assert!(public.get(hidden).is_none(), "{hidden}: {public}");
    }
    assert_eq!(public["in_stock"], true);
    let listed = body(
        app.get(&format!("/v1/products?shop_id={shop_id}"), Some(&seller))
            .await,
    )
    .await;
    assert!(
        listed["items"][0].get("stock").is_none(),
        "the storefront is public"
    );
    let owned = body(app.get(&path, Some(&seller)).await).await;
    assert_eq!((&owned["stock"], &owned["sales"]), (&json!(5), &json!(0)));

    let shop_path = format!("/v1/shops/{shop_id}");
    let public_shop = body(app.get(&shop_path, None).await).await;
    assert_eq!(public_shop["name"], "Chez Awa");
    for hidden in ["owner_id", "item_limit"] {
        assert!(public_shop.get(hidden).is_none(), "{hidden}: {public_shop}");
    }
    let listed = body(app.get("/v1/shops", None).await).await;
    assert!(listed["items"][0].get("owner_id").is_none());
    for token in [&seller, &admin] {
        let whole = body(app.get(&shop_path, Some(token)).await).await;
        assert_eq!(whole["item_limit"], 10);
        assert!(whole["owner_id"].is_string());
    }
}
