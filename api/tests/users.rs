//! Admin user management: the role guard, listing filters, role rules and the action log.

use serde_json::{Value, json};

use comptoir_domain::types::Role;
use comptoir_testkit::app::unique_email;
use comptoir_testkit::spawn_app;

async fn body(response: reqwest::Response) -> Value {
    response.json().await.expect("json body")
}

#[tokio::test]
async fn only_admins_reach_admin_routes() {
    let app = spawn_app().await;
    let (_, client) = app.user_with_role(Role::Client).await;
    let (_, seller) = app.user_with_role(Role::Seller).await;
    let (_, maintainer) = app.user_with_role(Role::Maintainer).await;
    let (_, superadmin) = app.user_with_role(Role::Superadmin).await;
    for path in ["/v1/users", "/v1/admin/jobs", "/v1/action-logs"] {
        assert_eq!(app.get(path, None).await.status(), 401, "{path} anonymous");
        for token in [&client, &seller] {
            let refused = app.get(path, Some(token)).await;
            assert_eq!(refused.status(), 403, "{path}");
            assert_eq!(body(refused).await["code"], "forbidden");
        }
        for token in [&maintainer, &superadmin] {
            assert_eq!(app.get(path, Some(token)).await.status(), 200, "{path}");
        }
    }
}

#[tokio::test]
async fn admins_list_users_with_filters_and_pagination() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_role(Role::Superadmin).await;
    let marker = uuid::Uuid::now_v7().simple().to_string();
    for i in 0..3 {
        let email = format!("{marker}-{i}@example.com");
        let want_shop = i == 0;
        let response = app
            .post("/v1/auth/register", None, json!({"email": email, "password": "correct horse battery", "name": format!("Shopper {i}"), "want_shop": want_shop}))
            .await;
        assert_eq!(response.status(), 201);
    }
    let (seller_id, _) = app.user_with_role(Role::Seller).await;

    let page = body(
        app.get(&format!("/v1/users?q={marker}&per_page=2"), Some(&admin))
            .await,
    )
    .await;
    assert_eq!(
        (
            page["total"].as_i64(),
            page["per_page"].as_i64(),
            page["page"].as_i64()
        ),
        (Some(3), Some(2), Some(1))
    );
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    let second = body(
        app.get(
            &format!("/v1/users?q={marker}&per_page=2&page=2"),
            Some(&admin),
        )
        .await,
    )
    .await;
    assert_eq!(second["items"].as_array().map(Vec::len), Some(1));

    let wanting = body(
        app.get(
            &format!("/v1/users?q={marker}&want_shop=true"),
            Some(&admin),
        )
        .await,
    )
    .await;
    assert_eq!(wanting["total"], 1);
    assert_eq!(wanting["items"][0]["name"], "Shopper 0");

    let sellers = body(app.get("/v1/users?role=seller", Some(&admin)).await).await;
    assert_eq!(sellers["total"], 1);
    assert_eq!(sellers["items"][0]["id"], json!(seller_id));

    let capped = body(app.get("/v1/users?per_page=1000", Some(&admin)).await).await;
    assert_eq!(capped["per_page"], 100);
    let bad = app.get("/v1/users?role=emperor", Some(&admin)).await;
    assert_eq!(bad.status(), 422);
    // LIKE wildcards in `q` are literal.
    let wildcard = body(app.get("/v1/users?q=%25", Some(&admin)).await).await;
    assert_eq!(wildcard["total"], 0);
}

#[tokio::test]
async fn role_changes_follow_the_rules_and_are_audited() {
    let app = spawn_app().await;
    let (maintainer_id, maintainer) = app.user_with_role(Role::Maintainer).await;
    let (superadmin_id, superadmin) = app.user_with_role(Role::Superadmin).await;
    let target = app
        .register(&unique_email("target"), "correct horse battery")
        .await;
    let target_id = target["user"]["id"].as_str().expect("id").to_owned();
    let path = format!("/v1/users/{target_id}");

    // A maintainer may make a seller, not an admin.
    let seller = app
        .patch(&path, Some(&maintainer), json!({"role": "seller"}))
        .await;
    assert_eq!(seller.status(), 200);
    assert_eq!(body(seller).await["role"], "seller");
    let grant = app
        .patch(&path, Some(&maintainer), json!({"role": "maintainer"}))
        .await;
    assert_eq!(grant.status(), 403);
    // Nor touch an admin.
    let touch_admin = app
        .patch(
            &format!("/v1/users/{superadmin_id}"),
            Some(&maintainer),
            json!({"banned": true}),
        )
        .await;
    assert_eq!(touch_admin.status(), 403);
    // A superadmin may.
    let granted = app
        .patch(&path, Some(&superadmin), json!({"role": "maintainer"}))
        .await;
    assert_eq!(body(granted).await["role"], "maintainer");
    // Nobody bans themselves.
    let self_ban = app
        .patch(
            &format!("/v1/users/{maintainer_id}"),
            Some(&maintainer),
            json!({"banned": true}),
        )
        .await;
    assert_eq!(self_ban.status(), 422);
    assert!(body(self_ban).await["errors"]["banned"].is_array());
    // Unknown users are 404; empty or unknown bodies are 422.
    let missing = app
        .patch(
            &format!("/v1/users/{}", uuid::Uuid::now_v7()),
            Some(&superadmin),
            json!({"banned": true}),
        )
        .await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        app.patch(&path, Some(&superadmin), json!({}))
            .await
            .status(),
        422
    );
    assert_eq!(
        app.patch(&path, Some(&superadmin), json!({"password": "x"}))
            .await
            .status(),
        422
    );

    let log = body(
        app.get(
            &format!("/v1/action-logs?target_id={target_id}"),
            Some(&superadmin),
        )
        .await,
    )
    .await;
    let entries: Vec<(String, String)> = log["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default().to_owned(),
                e["actor_id"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        vec![
            ("user.role_changed".to_owned(), superadmin_id.to_string()),
            ("user.role_changed".to_owned(), maintainer_id.to_string()),
        ]
    );
    assert_eq!(
        log["items"][0]["meta"],
        json!({"from": "seller", "to": "maintainer"})
    );
}
