//! Skipping a shop: closed at once, then a snapshot in storage and an email to the owner.

mod support;

use std::time::Duration;

use serde_json::{Value, json};

use comptoir_domain::types::Role;
use comptoir_testkit::app::unique_email;
use comptoir_testkit::mail::messages_to;
use comptoir_testkit::{TestApp, test_settings, wait_until};
use support::spawn_worker;

const WAIT: Duration = Duration::from_secs(30);

async fn body(response: reqwest::Response) -> Value {
    response.json().await.expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_skipped_shop_closes_at_once_then_is_backed_up_and_its_owner_emailed() {
    let storage = std::env::temp_dir().join(format!("comptoir-test-{}", uuid::Uuid::now_v7()));
    let settings = test_settings(&[("storage.root", json!(storage))]).await;
    let app = TestApp::spawn(settings.clone()).await;
    let (_, admin) = app.user_with_role(Role::Superadmin).await;
    let owner = unique_email("skipped");
    let session = app.register(&owner, "correct horse battery").await;
    let seller = session["access_token"].as_str().expect("token").to_owned();
    let shop =
        json!({"name": "Chez Skip", "owner_email": owner, "duration_days": 30, "item_limit": 10});
    let shop_id = body(app.post("/v1/shops", Some(&admin), shop).await).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    for sku in ["K-1", "K-2"] {
        let product = json!({"shop_id": shop_id, "sku": sku, "name": "Kora", "price": {"amount": 50000, "currency": "XOF"}, "stock": 1});
        assert_eq!(
            app.post("/v1/products", Some(&seller), product)
                .await
                .status(),
            201
        );
    }

    assert_eq!(
        app.post(
            &format!("/v1/shops/{shop_id}/skip"),
            Some(&seller),
            json!({})
        )
        .await
        .status(),
        403
    );
    // Two admins at once, then a third later: one skip takes effect, the others are no-ops.
    let skip_path = format!("/v1/shops/{shop_id}/skip");
    let skip = || app.post(&skip_path, Some(&admin), json!({}));
    let (first, second) = tokio::join!(skip(), skip());
    for skipped in [first, second, skip().await] {
        assert_eq!(skipped.status(), 200);
        assert_eq!(body(skipped).await["status"], "disabled");
    }
    let jobs: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE kind = 'shops.snapshot.v1' \
           OR (kind = 'email.send.v1' AND payload->>'dedupe_key' LIKE 'shop-skipped:%')",
    )
    .fetch_one(&app.pool)
    .await
    .expect("jobs");
    assert_eq!(jobs, 2, "one snapshot and one email");
    // Immediate: no worker has run yet.
    assert_eq!(
        app.get(&format!("/v1/shops/{shop_id}"), None)
            .await
            .status(),
        404
    );
    assert_eq!(
        body(
            app.get(&format!("/v1/products?shop_id={shop_id}"), None)
                .await
        )
        .await["total"],
        0
    );

    let _worker = spawn_worker(&settings, &["email", "maintenance"]);
    let dir = storage.join("snapshots/shops").join(&shop_id);
    let snapshot: Value = wait_until("the snapshot file", WAIT, || {
        let dir = dir.clone();
        async move {
            let file = std::fs::read_dir(&dir)
                .ok()?
                .filter_map(Result::ok)
                .find(|e| e.path().extension().is_some_and(|x| x == "json"))?;
            serde_json::from_slice(&std::fs::read(file.path()).ok()?).ok()
        }
    })
    .await;
    assert_eq!(snapshot["shop"]["id"], json!(shop_id));
    assert_eq!(snapshot["shop"]["status"], "disabled");
    let skus: Vec<&str> = snapshot["products"]
        .as_array()
        .expect("products")
        .iter()
        .filter_map(|p| p["sku"].as_str())
        .collect();
    assert_eq!(skus, ["K-1", "K-2"]);
    wait_until("the owner's email", WAIT, || async {
        messages_to(&owner)
            .iter()
            .any(|m| m.subject == "Your shop Chez Skip has been closed")
            .then_some(())
    })
    .await;
    let log = body(
        app.get(
            &format!("/v1/action-logs?action=shop.skipped&target_id={shop_id}"),
            Some(&admin),
        )
        .await,
    )
    .await;
    assert_eq!(log["total"], 1);
    let _ = std::fs::remove_dir_all(&storage);
}
