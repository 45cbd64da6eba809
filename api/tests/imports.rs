//! `POST /v1/products/bulk` as a client sees it: streamed uploads with limits, ownership,
//! validation of the form, Idempotency-Key, and who may read an import.

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use comptoir_domain::types::Role;
use comptoir_testkit::{TestApp, assert_problem, spawn_app, spawn_app_with};

const CSV: &[u8] = b"sku,name,price\nMUG-1,Mug,12500\n";

fn form(shop_id: &str, csv: &[u8]) -> Form {
    Form::new()
        .text("shop_id", shop_id.to_owned())
        .part("file", Part::bytes(csv.to_vec()).file_name("products.csv"))
}

async fn imports_in_db(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM imports")
        .fetch_one(&app.pool)
        .await
        .expect("count")
}

#[tokio::test]
async fn an_upload_is_accepted_with_its_location_and_only_its_owner_or_an_admin_sees_it() {
    let app = spawn_app().await;
    let shop = app.shop().await;
    let response = app
        .upload(
            "/v1/products/bulk",
            &shop.owner_token,
            form(&shop.id.to_string(), CSV),
        )
        .await;
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let import: Value = response.json().await.expect("json");
    assert_eq!(import["status"], "queued");
    assert_eq!(import["progress"]["processed"], 0);
    assert_eq!(import["dry_run"], false);

    let seen: Value = app
        .get(&location, Some(&shop.owner_token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(seen["id"], import["id"]);
    assert_eq!(
        app.get(&location, Some(&shop.admin_token)).await.status(),
        200
    );
    let other = app.shop().await;
    assert_problem(
        app.get(&location, Some(&other.owner_token)).await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn another_sellers_shop_is_not_found_and_clients_are_forbidden() {
    let app = spawn_app().await;
    let shop = app.shop().await;
    let other = app.shop().await;
    let response = app
        .upload(
            "/v1/products/bulk",
            &other.owner_token,
            form(&shop.id.to_string(), CSV),
        )
        .await;
    assert_problem(response, 404, "not_found").await;
    let (_, client) = app.user_with_role(Role::Client).await;
    let response = app
        .upload(
            "/v1/products/bulk",
            &client,
            form(&shop.id.to_string(), CSV),
        )
        .await;
    assert_eq!(response.status(), 403);
    assert_eq!(imports_in_db(&app).await, 0);
}

#[tokio::test]
async fn a_file_over_the_limit_is_413_and_nothing_is_kept() {
    let app = spawn_app_with(&[("imports.max_csv_bytes", json!(1024))]).await;
    let shop = app.shop().await;
    let big = vec![b'x'; 64 * 1024];
    let response = app
        .upload(
            "/v1/products/bulk",
            &shop.owner_token,
            form(&shop.id.to_string(), &big),
        )
        .await;
    assert_problem(response, 413, "payload_too_large").await;
    assert_eq!(imports_in_db(&app).await, 0);
    let leftovers = walk(&app.settings.storage.root);
    assert!(
        leftovers.is_empty(),
        "refused uploads are deleted: {leftovers:?}"
    );
}

/// Files under `dir`, recursively.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .flat_map(|entry| {
            let path = entry.path();
            if path.is_dir() {
                walk(&path)
            } else {
                vec![path]
            }
        })
        .collect()
}

#[tokio::test]
async fn malformed_forms_get_clear_problems() {
    let app = spawn_app().await;
    let shop = app.shop().await;
    let token = &shop.owner_token;
    let no_file = Form::new().text("shop_id", shop.id.to_string());
    assert_problem(
        app.upload("/v1/products/bulk", token, no_file).await,
        422,
        "validation_failed",
    )
    .await;
    let no_shop = Form::new().part("file", Part::bytes(CSV.to_vec()));
    assert_problem(
        app.upload("/v1/products/bulk", token, no_shop).await,
        422,
        "validation_failed",
    )
    .await;
    let bad_flag = form(&shop.id.to_string(), CSV).text("dry_run", "maybe");
    let problem = assert_problem(
        app.upload("/v1/products/bulk", token, bad_flag).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(problem["errors"]["dry_run"].is_array(), "{problem}");
    let unknown = form(&shop.id.to_string(), CSV).text("owner", "me");
    assert_problem(
        app.upload("/v1/products/bulk", token, unknown).await,
        422,
        "validation_failed",
    )
    .await;
    let json_body = app
        .post(
            "/v1/products/bulk",
            Some(token),
            json!({"shop_id": shop.id}),
        )
        .await;
    assert_problem(json_body, 415, "unsupported_media_type").await;
    assert_eq!(imports_in_db(&app).await, 0);
}

#[tokio::test]
async fn a_replayed_upload_returns_the_first_import() {
    let app = spawn_app().await;
    let shop = app.shop().await;
    let send = |csv: &'static [u8]| {
        app.client
            .post(format!("{}/v1/products/bulk", app.address))
            .bearer_auth(&shop.owner_token)
            .header("Idempotency-Key", "bulk-2026-11-22")
            .multipart(form(&shop.id.to_string(), csv))
            .send()
    };
    let first = send(CSV).await.expect("first");
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.expect("json");
    let replay = send(CSV).await.expect("replay");
    assert_eq!(replay.status(), 202);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let replay: Value = replay.json().await.expect("json");
    assert_eq!(replay["id"], first["id"]);
    assert_eq!(imports_in_db(&app).await, 1);
    let other_body = send(b"sku,name,price\nOTHER,Other,100\n")
        .await
        .expect("reuse");
    assert_problem(other_body, 422, "idempotency_key_reused").await;
    assert_eq!(imports_in_db(&app).await, 1);
}
