//! /v1/reports without a worker: requests are validated and queued (with Idempotency-Key), and
//! the download link of a finished report is checked: expired, tampered or another report's
//! token is refused. The finished report is simulated by storing a file and marking the row.

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use comptoir_domain::report_links;
use comptoir_domain::types::Role;
use comptoir_storage::Storage;
use comptoir_testkit::{TestApp, assert_problem, spawn_app_with};

fn body(kind: &str, format: &str) -> Value {
    json!({"type": kind, "format": format, "date_from": "2026-03-01", "date_to": "2026-03-31"})
}

async fn storage_app() -> TestApp {
    let root = std::env::temp_dir().join(format!("comptoir-test-{}", Uuid::now_v7()));
    spawn_app_with(&[("storage.root", json!(root))]).await
}

#[tokio::test]
async fn a_report_request_is_queued_with_its_location() {
    let app = storage_app().await;
    let (_, admin) = app.user_with_role(Role::Maintainer).await;
    let response = app
        .post("/v1/reports", Some(&admin), body("orders_detail", "xlsx"))
        .await;
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let report: Value = response.json().await.expect("json");
    assert_eq!(
        location,
        format!("/v1/reports/{}", report["id"].as_str().expect("id"))
    );
    assert_eq!(
        (report["status"].as_str(), report["progress"].as_i64()),
        (Some("queued"), Some(0))
    );
    assert!(report["download_url"].is_null());
    let kind: String = sqlx::query_scalar("SELECT kind FROM jobs WHERE queue = 'reports'")
        .fetch_one(&app.pool)
        .await
        .expect("one job");
    assert_eq!(kind, "reports.generate.v1");
    let polled: Value = app
        .get(&location, Some(&admin))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(polled["id"], report["id"]);
}

#[tokio::test]
async fn bad_requests_get_field_errors_and_clients_are_refused() {
    let app = storage_app().await;
    let (_, admin) = app.user_with_role(Role::Superadmin).await;
    let response = app
        .post(
            "/v1/reports",
            Some(&admin),
            json!({"type": "everything", "format": "docx", "date_from": "2026-03-31", "date_to": "March"}),
        )
        .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    for field in ["type", "format", "date_to"] {
        assert!(problem["errors"][field].is_array(), "{field}: {problem}");
    }
    let mut reversed = body("payments", "csv");
    reversed["date_from"] = json!("2026-04-01");
    let problem = assert_problem(
        app.post("/v1/reports", Some(&admin), reversed).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(problem["errors"]["date_to"].is_array(), "{problem}");
    for (filters, field) in [
        (json!({"status": "shipped"}), "filters.status"),
        (json!({"colour": "red"}), "filters"),
        (json!({"low_stock_below": 5}), "filters.low_stock_below"),
    ] {
        let mut request = body("payments", "csv");
        request["filters"] = filters;
        let problem = assert_problem(
            app.post("/v1/reports", Some(&admin), request).await,
            422,
            "validation_failed",
        )
        .await;
        assert!(problem["errors"][field].is_array(), "{field}: {problem}");
    }
    let mut unknown_shop = body("payments", "csv");
    unknown_shop["filters"] = json!({"shop_id": Uuid::now_v7()});
    assert_problem(
        app.post("/v1/reports", Some(&admin), unknown_shop).await,
        404,
        "not_found",
    )
    .await;
    let (_, client) = app.user_with_role(Role::Client).await;
    assert_problem(
        app.post("/v1/reports", Some(&client), body("payments", "csv"))
            .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.get("/v1/reports", Some(&client)).await,
        403,
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_report() {
    let app = storage_app().await;
    let (_, admin) = app.user_with_role(Role::Superadmin).await;
    let send = || {
        app.client
            .post(format!("{}/v1/reports", app.address))
            .bearer_auth(&admin)
            .header("Idempotency-Key", "monthly-sales-2026-03")
            .json(&body("sales_summary", "pdf"))
            .send()
    };
    let first = send().await.expect("answer");
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.expect("json");
    let again = send().await.expect("answer");
    assert_eq!(again.status(), 202);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.expect("json");
    assert_eq!(again["id"], first["id"]);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM reports")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(count, 1);
}

/// A report as the worker leaves it: file stored, row succeeded. Returns its id.
async fn finished_report(app: &TestApp, token: &str, content: &[u8]) -> Uuid {
    let response = app
        .post("/v1/reports", Some(token), body("payments", "csv"))
        .await;
    let id: Uuid = response.json::<Value>().await.expect("json")["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("id");
    let key = format!("reports/{id}/payments.csv");
    Storage::from_settings(&app.settings.storage)
        .expect("storage")
        .put_bytes(&key, content.to_vec())
        .await
        .expect("stored");
    sqlx::query(
        "UPDATE reports SET status = 'succeeded', progress = 100, file_key = $2, file_name = 'payments.csv', \
         file_size = $3, row_count = 1, finished_at = now(), expires_at = now() + interval '1 day' WHERE id = $1",
    )
    .bind(id)
    .bind(&key)
    .bind(content.len() as i64)
    .execute(&app.pool)
    .await
    .expect("finished");
    id
}

fn path_of(url: &str) -> &str {
    &url[url.find("/v1/reports/").expect("report url")..]
}

#[tokio::test]
async fn a_signed_link_downloads_the_file_until_it_expires_and_cannot_be_forged() {
    let app = storage_app().await;
    let (admin_id, admin) = app.user_with_role(Role::Superadmin).await;
    let (_, seller) = app.user_with_role(Role::Seller).await;
    let content = b"Payment,Status\r\np1,succeeded\r\n";
    let id = finished_report(&app, &admin, content).await;
    let view: Value = app
        .get(&format!("/v1/reports/{id}"), Some(&admin))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(view["status"], "succeeded");
    let url = view["download_url"].as_str().expect("a link").to_owned();
    assert!(view["expires_at"].is_string());
    assert_problem(
        app.get(&format!("/v1/reports/{id}"), Some(&seller)).await,
        404,
        "not_found",
    )
    .await;

    let response = app.get(path_of(&url), None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"payments.csv\""
    );
    assert_eq!(response.bytes().await.expect("body").as_ref(), content);

    let token = url.split("token=").nth(1).expect("token").to_owned();
    let (expires, rest) = token.split_once('.').expect("parts");
    let later = expires.parse::<i64>().expect("expiry") + 3600;
    let other = finished_report(&app, &admin, b"x").await;
    for forged in [
        format!("/v1/reports/{id}/download?token={later}.{rest}"),
        format!("/v1/reports/{id}/download?token={token}0"),
        format!("/v1/reports/{other}/download?token={token}"),
        format!("/v1/reports/{id}/download"),
    ] {
        assert_problem(app.get(&forged, None).await, 403, "invalid_download_link").await;
    }
    let secret = &app.settings.reports.signing_secret;
    let expired = report_links::sign(secret, id, admin_id, Utc::now() - Duration::seconds(1));
    let response = app
        .get(&format!("/v1/reports/{id}/download?token={expired}"), None)
        .await;
    assert_problem(response, 403, "download_link_expired").await;

    // A purged report's link leads nowhere.
    sqlx::query("DELETE FROM reports WHERE id = $1")
        .bind(id)
        .execute(&app.pool)
        .await
        .expect("purged");
    assert_problem(app.get(path_of(&url), None).await, 404, "not_found").await;
}
