//! Shops: creation for an owner, the role matrix, visibility and period changes.

use serde_json::{Value, json};

use comptoir_domain::types::Role;
use comptoir_testkit::app::unique_email;
use comptoir_testkit::{TestApp, spawn_app};

async fn body(response: reqwest::Response) -> Value {
    response.json().await.expect("json body")
}

/// A client account to own a shop: (id, email, token).
async fn future_owner(app: &TestApp) -> (String, String, String) {
    let email = unique_email("owner");
    let session = app.register(&email, "correct horse battery").await;
    let id = session["user"]["id"].as_str().expect("id").to_owned();
    (
        id,
        email,
        session["access_token"].as_str().expect("token").to_owned(),
    )
}

fn new_shop(owner_email: &str) -> Value {
    json!({"name": "Chez Awa", "description": "Wax prints", "category": "fashion", "owner_email": owner_email, "duration_days": 30, "item_limit": 50})
}

#[tokio::test]
async fn an_admin_creates_a_shop_and_its_owner_becomes_a_seller() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_role(Role::Maintainer).await;
    let (owner_id, owner_email, owner_token) = future_owner(&app).await;

    let created = app
        .post("/v1/shops", Some(&admin), new_shop(&owner_email))
        .await;
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let shop = body(created).await;
    assert_eq!(
        location,
        format!("/v1/shops/{}", shop["id"].as_str().expect("id"))
    );
    assert_eq!(
        (shop["status"].as_str(), shop["item_limit"].as_i64()),
        (Some("active"), Some(50))
    );
    assert_eq!(shop["owner_id"], json!(owner_id));
    let start = chrono::DateTime::parse_from_rfc3339(shop["start_date"].as_str().expect("date"))
        .expect("rfc3339");
    let end = chrono::DateTime::parse_from_rfc3339(shop["end_date"].as_str().expect("date"))
        .expect("rfc3339");
    assert_eq!((end - start).num_days(), 30);

    let me = body(app.get("/v1/auth/me", Some(&owner_token)).await).await;
    assert_eq!(me["role"], "seller");
    let log = body(
        app.get(
            &format!(
                "/v1/action-logs?target_id={}",
                shop["id"].as_str().expect("id")
            ),
            Some(&admin),
        )
        .await,
    )
    .await;
    assert_eq!(log["items"][0]["action"], "shop.created");
    let promoted = body(
        app.get(
            &format!("/v1/action-logs?target_id={owner_id}"),
            Some(&admin),
        )
        .await,
    )
    .await;
    assert_eq!(promoted["items"][0]["action"], "user.role_changed");
}

#[tokio::test]
async fn shop_creation_is_validated() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_role(Role::Superadmin).await;
    let unknown = app
        .post("/v1/shops", Some(&admin), new_shop(&unique_email("nobody")))
        .await;
    assert_eq!(unknown.status(), 422);
    assert!(body(unknown).await["errors"]["owner_email"].is_array());
    let (_, owner_email, _) = future_owner(&app).await;
    let bad = json!({"name": "", "owner_email": owner_email, "duration_days": 0, "item_limit": -1});
    let bad = body(app.post("/v1/shops", Some(&admin), bad).await).await;
    for field in ["name", "duration_days", "item_limit"] {
        assert!(bad["errors"][field].is_array(), "{field}: {bad}");
    }
    let extra = app.post("/v1/shops", Some(&admin), json!({"name": "X", "owner_email": owner_email, "duration_days": 1, "item_limit": 1, "status": "active"})).await;
    assert_eq!(extra.status(), 422);
}

#[tokio::test]
async fn only_admins_manage_shops() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_role(Role::Superadmin).await;
    let (_, owner_email, owner_token) = future_owner(&app).await;
    let shop = body(
        app.post("/v1/shops", Some(&admin), new_shop(&owner_email))
            .await,
    )
    .await;
    let path = format!("/v1/shops/{}", shop["id"].as_str().expect("id"));
    let (_, client) = app.user_with_role(Role::Client).await;
    let (_, maintainer) = app.user_with_role(Role::Maintainer).await;

    for (token, create, patch) in [
        (None, 401, 401),
        (Some(client.as_str()), 403, 403),
        (Some(owner_token.as_str()), 403, 403),
    ] {
        let (_, email, _) = future_owner(&app).await;
        assert_eq!(
            app.post("/v1/shops", token, new_shop(&email))
                .await
                .status(),
            create
        );
        assert_eq!(
            app.patch(&path, token, json!({"item_limit": 5}))
                .await
                .status(),
            patch
        );
        let duration =
            json!({"start_date": "2026-01-01T00:00:00Z", "end_date": "2027-01-01T00:00:00Z"});
        assert_eq!(
            app.post(&format!("{path}/duration"), token, duration)
                .await
                .status(),
            patch
        );
    }
    let patched = app
        .patch(
            &path,
            Some(&maintainer),
            json!({"item_limit": 5, "name": "Chez Awa & Fils"}),
        )
        .await;
    assert_eq!(patched.status(), 200);
    let patched = body(patched).await;
    assert_eq!(
        (patched["item_limit"].as_i64(), patched["name"].as_str()),
        (Some(5), Some("Chez Awa & Fils"))
    );
}

#[tokio::test]
async fn hidden_shops_are_visible_only_to_their_owner_and_admins() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_role(Role::Superadmin).await;
    let (owner_id, owner_email, owner_token) = future_owner(&app).await;
    let shop = body(
        app.post("/v1/shops", Some(&admin), new_shop(&owner_email))
            .await,
    )
    .await;
    let id = shop["id"].as_str().expect("id").to_owned();
    let path = format!("/v1/shops/{id}");
    assert_eq!(
        app.get(&path, None).await.status(),
        200,
        "active shops are public"
    );

    let disabled = app
        .patch(&path, Some(&admin), json!({"status": "disabled"}))
        .await;
    assert_eq!(body(disabled).await["status"], "disabled");
    let (_, other_seller) = app.user_with_role(Role::Seller).await;
    assert_eq!(app.get(&path, None).await.status(), 404);
    assert_eq!(app.get(&path, Some(&other_seller)).await.status(), 404);
    assert_eq!(app.get(&path, Some(&owner_token)).await.status(), 200);
    assert_eq!(app.get(&path, Some(&admin)).await.status(), 200);

    let public = body(
        app.get(&format!("/v1/shops?owner_id={owner_id}"), None)
            .await,
    )
    .await;
    assert_eq!(public["total"], 0);
    let own = body(
        app.get(
            &format!("/v1/shops?owner_id={owner_id}"),
            Some(&owner_token),
        )
        .await,
    )
    .await;
    assert_eq!(own["total"], 1);
    let admin_view = body(
        app.get(
            &format!("/v1/shops?status=disabled&owner_id={owner_id}"),
            Some(&admin),
        )
        .await,
    )
    .await;
    assert_eq!(admin_view["items"][0]["id"], json!(id));
    assert_eq!(app.get("/v1/shops?status=closed", None).await.status(), 422);
    let log = body(
        app.get(
            &format!("/v1/action-logs?target_id={id}&action=shop.status_changed"),
            Some(&admin),
        )
        .await,
    )
    .await;
    assert_eq!(
        log["items"][0]["meta"],
        json!({"from": "active", "to": "disabled"})
    );
}

#[tokio::test]
async fn periods_must_end_after_they_start() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_role(Role::Superadmin).await;
    let (_, owner_email, _) = future_owner(&app).await;
    let shop = body(
        app.post("/v1/shops", Some(&admin), new_shop(&owner_email))
            .await,
    )
    .await;
    let path = format!("/v1/shops/{}", shop["id"].as_str().expect("id"));

    let backwards =
        json!({"start_date": "2027-01-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"});
    let refused = app
        .post(&format!("{path}/duration"), Some(&admin), backwards)
        .await;
    assert_eq!(refused.status(), 422);
    assert!(body(refused).await["errors"]["end_date"].is_array());
    let before_start = app
        .patch(
            &path,
            Some(&admin),
            json!({"end_date": "2000-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(before_start.status(), 422);

    let period = json!({"start_date": "2026-01-01T00:00:00Z", "end_date": "2027-01-01T00:00:00Z"});
    let set = body(
        app.post(&format!("{path}/duration"), Some(&admin), period)
            .await,
    )
    .await;
    assert_eq!(set["end_date"], "2027-01-01T00:00:00Z");
    let missing = app
        .patch(
            &format!("/v1/shops/{}", uuid::Uuid::now_v7()),
            Some(&admin),
            json!({"item_limit": 1}),
        )
        .await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        app.patch(&path, Some(&admin), json!({"status": "paused"}))
            .await
            .status(),
        422
    );
}

#[tokio::test]
async fn categories_form_a_tree() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_role(Role::Maintainer).await;
    let (_, client) = app.user_with_role(Role::Client).await;
    let fashion = body(
        app.post("/v1/categories", Some(&admin), json!({"name": "Fashion"}))
            .await,
    )
    .await;
    let fashion_id = fashion["id"].as_str().expect("id").to_owned();
    let shoes = app
        .post(
            "/v1/categories",
            Some(&admin),
            json!({"name": "Shoes", "parent_id": fashion_id}),
        )
        .await;
    assert_eq!(shoes.status(), 201);
    let shoes_id = body(shoes).await["id"].as_str().expect("id").to_owned();
    app.post(
        "/v1/categories",
        Some(&admin),
        json!({"name": "Sandals", "parent_id": shoes_id}),
    )
    .await;
    app.post("/v1/categories", Some(&admin), json!({"name": "Food"}))
        .await;

    let tree = body(app.get("/v1/categories", None).await).await;
    assert_eq!(tree[0]["name"], "Fashion");
    assert_eq!(tree[0]["children"][0]["name"], "Shoes");
    assert_eq!(tree[0]["children"][0]["children"][0]["name"], "Sandals");
    assert_eq!(tree[1]["name"], "Food");

    let duplicate = app
        .post(
            "/v1/categories",
            Some(&admin),
            json!({"name": "shoes", "parent_id": fashion_id}),
        )
        .await;
    assert_eq!(duplicate.status(), 409);
    assert_eq!(body(duplicate).await["code"], "category_exists");
    let orphan = app
        .post(
            "/v1/categories",
            Some(&admin),
            json!({"name": "X", "parent_id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(orphan.status(), 422);
    assert_eq!(
        app.post("/v1/categories", Some(&client), json!({"name": "Y"}))
            .await
            .status(),
        403
    );
}
