//! Reports end to end: a seller's reports hold only their shops' rows, the requester is emailed
//! a working link, a report over the row cap fails with a reason, and expired reports (file and
//! row) are purged by the scheduled job.

mod support;

use std::time::Duration;

use serde_json::{Value, json};

use comptoir_testkit::mail::messages_to;
use comptoir_testkit::{TestApp, test_settings, wait_until};
use support::reports::{finished, generate, market, path_of, request};
use support::spawn_worker;

const WAIT: Duration = Duration::from_secs(60);

fn storage_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("comptoir-test-{}", uuid::Uuid::now_v7()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sellers_report_holds_only_their_shops_rows_and_the_link_is_emailed() {
    let settings = test_settings(&[("storage.root", json!(storage_dir()))]).await;
    let app = TestApp::spawn(settings.clone()).await;
    let market = market(&app).await;
    let _worker = spawn_worker(&settings, &["reports", "email"]);

    let (_, _, bytes) = generate(&app, &market.seller, "orders_detail", "json", json!({})).await;
    let rows: Vec<Value> = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(rows.len(), 4, "shop A's four lines only");
    assert!(rows.iter().all(|row| row["shop"] == "Chez Awa"));
    let (_, _, bytes) = generate(
        &app,
        &market.seller,
        "payments",
        "json",
        json!({"status": "succeeded"}),
    )
    .await;
    let rows: Vec<Value> = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["provider_ref"], "pi_1");

    // Another seller's shop is not theirs to report on.
    let response = app
        .post(
            "/v1/reports",
            Some(&market.seller),
            json!({"type": "orders_detail", "format": "csv", "date_from": "2026-03-01", "date_to": "2026-03-31",
                   "filters": {"shop_id": market.shop_b}}),
        )
        .await;
    comptoir_testkit::assert_problem(response, 404, "not_found").await;
    // Nor someone else's report.
    let id = request(
        &app,
        &market.seller,
        "sales_summary",
        "csv",
        json!({"shop_id": market.shop_a}),
    )
    .await;
    let response = app
        .get(&format!("/v1/reports/{id}"), Some(&market.other_seller))
        .await;
    comptoir_testkit::assert_problem(response, 404, "not_found").await;
    let view = finished(&app, &market.seller, &id).await;
    assert_eq!(view["row_count"], 1);

    let mail = wait_until("the report-ready email", WAIT, || async {
        messages_to(&market.seller_email)
            .into_iter()
            .find(|m| m.subject == "Your report is ready: Sales summary")
    })
    .await;
    let url = mail
        .text
        .split_whitespace()
        .find(|word| word.contains("/download?token="))
        .expect("a link in the email");
    let response = app.get(&path_of(url), None).await;
    assert_eq!(response.status(), 200);
    let csv = response.text().await.expect("text");
    assert!(
        csv.starts_with("Day,Currency,Orders,Revenue,Average basket\r\n"),
        "{csv}"
    );

    let listed: Value = app
        .get("/v1/reports", Some(&market.seller))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["total"], 3);
    let listed: Value = app
        .get("/v1/reports", Some(&market.other_seller))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["total"], 0);
    let listed: Value = app
        .get("/v1/reports", Some(&market.admin))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["total"], 3, "admins see every report");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_over_the_row_cap_fails_with_a_reason() {
    let settings = test_settings(&[
        ("storage.root", json!(storage_dir())),
        ("reports.max_rows", json!(3)),
    ])
    .await;
    let app = TestApp::spawn(settings.clone()).await;
    let market = market(&app).await;
    let _worker = spawn_worker(&settings, &["reports"]);
    let id = request(&app, &market.admin, "orders_detail", "csv", json!({})).await;
    let view = finished(&app, &market.admin, &id).await;
    assert_eq!(view["status"], "failed");
    let error = view["error"].as_str().expect("a reason");
    assert!(error.contains("5 rows, over the limit of 3"), "{error}");
    assert!(view["download_url"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_reports_and_their_files_are_purged_by_the_schedule() {
    let storage = storage_dir();
    let settings = test_settings(&[
        ("storage.root", json!(storage)),
        ("reports.purge_interval_secs", json!(1)),
    ])
    .await;
    let app = TestApp::spawn(settings.clone()).await;
    let market = market(&app).await;
    let _worker = spawn_worker(&settings, &["reports"]);
    let old = request(&app, &market.admin, "payments", "csv", json!({})).await;
    let kept = request(&app, &market.admin, "payments", "json", json!({})).await;
    for id in [&old, &kept] {
        assert_eq!(
            finished(&app, &market.admin, id).await["status"],
            "succeeded"
        );
    }
    let file = storage.join(format!("reports/{old}/payments_2026-03-01_2026-03-31.csv"));
    assert!(file.exists());
    sqlx::query("UPDATE reports SET expires_at = now() - interval '1 second' WHERE id = $1::uuid")
        .bind(&old)
        .execute(&app.pool)
        .await
        .expect("expire");
    wait_until("the expired report to be purged", WAIT, || async {
        let response = app
            .get(&format!("/v1/reports/{old}"), Some(&market.admin))
            .await;
        (response.status() == 404).then_some(())
    })
    .await;
    assert!(!file.exists(), "the file is deleted with its report");
    let response = app
        .get(&format!("/v1/reports/{kept}"), Some(&market.admin))
        .await;
    assert_eq!(response.status(), 200, "a report still in retention stays");
}
