//! The public catalogue: what leaves it, its filters and sorts, batched view counts, and what
//! shoppers may see of a product and a shop.

use std::time::Duration;

use serde_json::{Value, json};

use comptoir_testkit::{spawn_app, wait_until};

use super::{body, create, product, shop};

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
