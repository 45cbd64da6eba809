//! The item limit of bulk imports, which carry the shop's live-product count from batch to
//! batch: products created or deleted through the API while an import runs are counted, and
//! deleted products revived by an import count again.

mod support;

use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

use comptoir_testkit::{TestApp, test_settings, wait_until};
use support::imports::{
    Upload, WAIT, counts, errors_of, finished_import, run_import, start_import,
};
use support::spawn_worker;

const LIMIT_REACHED: &str = "item_limit_reached";

async fn live_products(app: &TestApp, shop_id: Uuid) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM products WHERE shop_id = $1 AND deleted_at IS NULL")
        .bind(shop_id)
        .fetch_one(&app.pool)
        .await
        .expect("count")
}

async fn processed(app: &TestApp, import_id: Uuid) -> i32 {
    sqlx::query_scalar("SELECT processed FROM imports WHERE id = $1")
        .bind(import_id)
        .fetch_one(&app.pool)
        .await
        .expect("import")
}

async fn product_id(app: &TestApp, shop_id: Uuid, sku: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM products WHERE shop_id = $1 AND sku = $2")
        .bind(shop_id)
        .bind(sku)
        .fetch_one(&app.pool)
        .await
        .expect("product")
}

async fn delete(app: &TestApp, token: &str, product_id: Uuid) {
    let path = format!("/v1/products/{product_id}");
    let response = app.request(Method::DELETE, &path, Some(token), None).await;
    assert_eq!(response.status(), 204, "deleted");
}

fn product(shop_id: Uuid, sku: &str) -> serde_json::Value {
    json!({"shop_id": shop_id, "sku": sku, "name": sku, "price": {"amount": 500, "currency": "XOF"}, "stock": 1})
}

fn csv_of(skus: impl Iterator<Item = String>) -> String {
    let rows: String = skus.map(|sku| format!("{sku},Item {sku},100\n")).collect();
    format!("sku,name,price\n{rows}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn products_created_through_the_api_during_an_import_take_its_room() {
    const LIMIT: i64 = 3_000;
    const CREATED_BY_HAND: i64 = 5;
    let app = TestApp::spawn(test_settings(&[("imports.batch_rows", json!(20))]).await).await;
    let _worker = spawn_worker(&app.settings, &["imports"]);
    let shop = app.shop().await;
    app.set_item_limit(shop.id, LIMIT as usize).await;
    let csv = csv_of((0..2 * LIMIT).map(|n| format!("IMP-{n:05}")));
    let id = start_import(
        &app,
        &shop.owner_token,
        &Upload::csv(shop.id, csv.as_bytes()),
    )
    .await;

    wait_until("the import to be under way", WAIT, || async {
        (processed(&app, id).await > 0).then_some(())
    })
    .await;
    for n in 0..CREATED_BY_HAND {
        let sku = format!("HAND-{n}");
        let response = app
            .post(
                "/v1/products",
                Some(&shop.owner_token),
                product(shop.id, &sku),
            )
            .await;
        assert_eq!(response.status(), 201, "the shop still has room for {sku}");
    }
    assert!(
        i64::from(processed(&app, id).await) < LIMIT - CREATED_BY_HAND,
        "the products were created while the import still had room to fill"
    );

    let import = finished_import(&app, &shop.owner_token, id).await;
    let created = LIMIT - CREATED_BY_HAND;
    assert_eq!(
        counts(&import),
        (2 * LIMIT, 2 * LIMIT, created, 0, 2 * LIMIT - created),
        "{import}"
    );
    assert_eq!(
        live_products(&app, shop.id).await,
        LIMIT,
        "the limit holds exactly"
    );
    let errors = errors_of(&app, &shop.owner_token, &import).await;
    assert_eq!(errors.len() as i64, 2 * LIMIT - created);
    assert!(
        errors
            .iter()
            .all(|(_, column, reason)| column == "sku" && reason.contains(LIMIT_REACHED))
    );
    assert_eq!(
        errors[0].0,
        created + 2,
        "the first refused line is the first past the room"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_product_is_revived_only_within_the_limit() {
    let app = TestApp::spawn(test_settings(&[("imports.batch_rows", json!(2))]).await).await;
    let _worker = spawn_worker(&app.settings, &["imports"]);
    let shop = app.shop().await;
    app.set_item_limit(shop.id, 3).await;
    let csv = csv_of(["A", "B", "C"].into_iter().map(str::to_owned));
    let upload = Upload::csv(shop.id, csv.as_bytes());
    assert_eq!(
        counts(&run_import(&app, &shop.owner_token, &upload).await),
        (3, 3, 3, 0, 0)
    );
    let a = product_id(&app, shop.id, "A").await;
    delete(&app, &shop.owner_token, a).await;
    let response = app
        .post(
            "/v1/products",
            Some(&shop.owner_token),
            product(shop.id, "D"),
        )
        .await;
    assert_eq!(response.status(), 201, "A's deletion made room");

    let full = run_import(&app, &shop.owner_token, &upload).await;
    assert_eq!(
        counts(&full),
        (3, 3, 0, 0, 1),
        "B and C unchanged, A has no room: {full}"
    );
    let errors = errors_of(&app, &shop.owner_token, &full).await;
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].0, errors[0].1.as_str()), (2, "sku"));
    assert!(errors[0].2.contains(LIMIT_REACHED));

    let d = product_id(&app, shop.id, "D").await;
    delete(&app, &shop.owner_token, d).await;
    let dry = Upload {
        dry_run: true,
        ..Upload::csv(shop.id, csv.as_bytes())
    };
    assert_eq!(
        counts(&run_import(&app, &shop.owner_token, &dry).await),
        (3, 3, 1, 0, 0)
    );
    assert_eq!(
        live_products(&app, shop.id).await,
        2,
        "a dry run revives nothing"
    );
    let revived = run_import(&app, &shop.owner_token, &upload).await;
    assert_eq!(counts(&revived), (3, 3, 1, 0, 0), "{revived}");
    assert_eq!(
        product_id(&app, shop.id, "A").await,
        a,
        "A is revived, not created anew"
    );
    assert_eq!(live_products(&app, shop.id).await, 3);
}
