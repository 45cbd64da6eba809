//! Who sees and moves which orders; list filters.

use serde_json::json;
use uuid::Uuid;

use comptoir_domain::types::Role;
use comptoir_testkit::market::{TestProduct, TestShop};
use comptoir_testkit::{TestApp, spawn_app};

use crate::{body, id_of, order_of, place};

/// Two shops with an order each: (shop A, shop B, client of A's order, A's order id).
async fn two_shops_with_orders(app: &TestApp) -> (TestShop, TestShop, String, String) {
    let (a, b) = (app.shop().await, app.shop().await);
    let in_a = app.product(a.id, TestProduct::new(700, 10)).await;
    let in_b = app.product(b.id, TestProduct::new(700, 10)).await;
    let (_, client) = app.user_with_role(Role::Client).await;
    let (_, other_client) = app.user_with_role(Role::Client).await;
    let order = place(app, &client, order_of(&[(in_a, 1)])).await;
    place(app, &other_client, order_of(&[(in_b, 1)])).await;
    (a, b, client, id_of(&order))
}

#[tokio::test]
async fn orders_are_seen_by_their_client_their_seller_and_admins_only() {
    let app = spawn_app().await;
    let (a, b, client, order_id) = two_shops_with_orders(&app).await;
    let (_, stranger) = app.user_with_role(Role::Client).await;
    let (_, maintainer) = app.user_with_role(Role::Maintainer).await;
    let (_, superadmin) = app.user_with_role(Role::Superadmin).await;
    let path = format!("/v1/orders/{order_id}");
    for (who, token, get, listed) in [
        ("client", client.as_str(), 200, 1),
        ("other client", stranger.as_str(), 404, 0),
        ("owning seller", a.owner_token.as_str(), 200, 1),
        ("other seller", b.owner_token.as_str(), 404, 1),
        ("maintainer", maintainer.as_str(), 200, 2),
        ("superadmin", superadmin.as_str(), 200, 2),
    ] {
        assert_eq!(app.get(&path, Some(token)).await.status(), get, "{who}");
        let list = body(app.get("/v1/orders", Some(token)).await).await;
        assert_eq!(list["total"], listed, "{who}: {list}");
        let has_it = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|o| o["id"] == json!(order_id));
        assert_eq!(has_it, get == 200, "{who}");
    }
    assert_eq!(app.get(&path, None).await.status(), 401);
    assert_eq!(app.get("/v1/orders", None).await.status(), 401);
    assert_eq!(
        app.get(&format!("/v1/orders/{}", Uuid::now_v7()), Some(&maintainer))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn order_lists_filter_by_status_and_dates() {
    let app = spawn_app().await;
    let (_, b, _, order_id) = two_shops_with_orders(&app).await;
    let (_, admin) = app.user_with_role(Role::Superadmin).await;
    let patched = app
        .patch(
            &format!("/v1/orders/{order_id}"),
            Some(&admin),
            json!({"status": "paid"}),
        )
        .await;
    assert_eq!(patched.status(), 200);
    let total = |query: &'static str| {
        let (app, admin) = (&app, &admin);
        async move {
            body(app.get(&format!("/v1/orders?{query}"), Some(admin)).await).await["total"].clone()
        }
    };
    assert_eq!(total("status=paid").await, 1);
    assert_eq!(total("status=pending").await, 1);
    assert_eq!(total("from=2000-01-01&to=2100-01-01").await, 2);
    assert_eq!(total("to=2000-01-01").await, 0);
    assert_eq!(total("from=2100-01-01T00:00:00Z").await, 0);
    let today = chrono::Utc::now().date_naive();
    let to_today = body(
        app.get(&format!("/v1/orders?from={today}&to={today}"), Some(&admin))
            .await,
    )
    .await;
    assert_eq!(to_today["total"], 2, "`to` includes the whole day");
    let by_shop = body(
        app.get(&format!("/v1/orders?shop_id={}", b.id), Some(&admin))
            .await,
    )
    .await;
    assert_eq!(by_shop["total"], 1);
    let page = body(app.get("/v1/orders?per_page=1&page=2", Some(&admin)).await).await;
    assert_eq!(
        (
            page["total"].as_i64(),
            page["items"].as_array().map(Vec::len)
        ),
        (Some(2), Some(1))
    );
    for bad in ["status=lost", "from=yesterday", "to=2026-13-01"] {
        assert_eq!(
            app.get(&format!("/v1/orders?{bad}"), Some(&admin))
                .await
                .status(),
            422,
            "{bad}"
        );
    }
}

#[tokio::test]
async fn sellers_and_admins_move_orders_and_clients_only_cancel() {
    let app = spawn_app().await;
    let (a, b, client, order_id) = two_shops_with_orders(&app).await;
    let (_, stranger) = app.user_with_role(Role::Client).await;
    let (maintainer_id, maintainer) = app.user_with_role(Role::Maintainer).await;
    let (_, superadmin) = app.user_with_role(Role::Superadmin).await;
    let path = format!("/v1/orders/{order_id}");
    let to = |status: &str| json!({ "status": status });

    assert_eq!(app.patch(&path, None, to("paid")).await.status(), 401);
    assert_eq!(
        app.patch(&path, Some(&stranger), to("cancelled"))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.patch(&path, Some(&b.owner_token), to("paid"))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.patch(&path, Some(&client), to("paid")).await.status(),
        403
    );
    assert_eq!(
        app.patch(&path, Some(&a.owner_token), to("lost"))
            .await
            .status(),
        422
    );
    for (token, status) in [
        (&a.owner_token, "paid"),
        (&maintainer, "preparing"),
        (&superadmin, "shipped"),
        (&a.owner_token, "delivered"),
    ] {
        let moved = app.patch(&path, Some(token), to(status)).await;
        assert_eq!(moved.status(), 200, "{status}");
        let moved = body(moved).await;
        assert_eq!(moved["status"], status);
        assert!(moved["paid_at"].is_string(), "paid_at set once paid");
    }
    let log = body(
        app.get(
            &format!("/v1/action-logs?target_id={order_id}"),
            Some(&maintainer),
        )
        .await,
    )
    .await;
    assert_eq!(log["total"], 4);
    let by_maintainer = log["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|entry| entry["actor_id"] == json!(maintainer_id))
        .expect("the maintainer's change is logged");
    assert_eq!(by_maintainer["action"], "order.status_changed");
    assert_eq!(by_maintainer["meta"]["from"], "paid");
    assert_eq!(by_maintainer["meta"]["to"], "preparing");
}
