//! The web console in a real headless Chromium: an admin logs in through the page, watches the
//! email queue's figures change while a real worker process runs the jobs (the page refreshes
//! itself), retries a dead job, cancels a queued one, is refused with a forged CSRF token, logs
//! out and is refused without a session. Screenshots of each page (desktop, and phone width)
//! go to a folder in the temp dir, printed at the start.

#[path = "support/browser.rs"]
mod browser;
mod support;

use serde_json::json;
use uuid::Uuid;

use comptoir_domain::types::Role;
use comptoir_testkit::app::unique_email;
use comptoir_testkit::console::{PASSWORD, account_with_role, insert_job, job_status};
use comptoir_testkit::{TestApp, test_settings, wait_until};

use browser::{Browser, WAIT};
use support::spawn_worker_process;

const DESKTOP: u32 = 1280;
const PHONE: u32 = 390;

fn figure(queue: &str, name: &str) -> String {
    format!("tr[data-queue=\"{queue}\"] [data-figure=\"{name}\"]")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_runs_the_console_in_a_real_browser() {
    let settings = test_settings(&[]).await;
    let app = TestApp::spawn(settings.clone()).await;
    let admin = account_with_role(&app, Role::Superadmin).await;
    let browser = Browser::start().await;
    let base = &app.address;

    // Without a session, the console is the login page.
    browser.goto(&format!("{base}/admin/")).await;
    assert_eq!(browser.path().await, "/admin/login");
    browser.screenshot("login", DESKTOP).await;
    browser.fill("input[name=email]", &admin).await;
    browser.fill("input[name=password]", PASSWORD).await;
    browser.click("form[action=\"/admin/login\"] button").await;
    wait_until("the overview after login", WAIT, || async {
        (browser.path().await == "/admin/").then_some(())
    })
    .await;

    // Welcome emails wait in the email queue while no worker runs; the page, never reloaded,
    // shows them arrive.
    for _ in 0..6 {
        app.register(&unique_email("console"), PASSWORD).await;
    }
    let queued: i64 =
        sqlx::query_scalar("SELECT count(*) FROM jobs WHERE queue = 'email' AND status = 'queued'")
            .fetch_one(&app.pool)
            .await
            .expect("count");
    assert!(queued >= 6);
    browser
        .wait_for_text(
            "the queued emails on the page",
            &figure("email", "queued"),
            |t| t == queued.to_string(),
        )
        .await;
    let mut worker = spawn_worker_process(&settings, "email");
    browser
        .wait_for_text(
            "the worker to empty the queue",
            &figure("email", "queued"),
            |t| t == "0",
        )
        .await;
    browser
        .wait_for_text(
            "the finished jobs on the page",
            &figure("email", "finished_last_5m"),
            |t| t.parse::<i64>().is_ok_and(|n| n >= queued),
        )
        .await;
    browser.screenshot("overview", DESKTOP).await;
    browser.screenshot("overview-phone", PHONE).await;

    browser.goto(&format!("{base}/admin/workers")).await;
    browser
        .wait_for_text("a live worker", "tr[data-worker] .badge", |t| t == "live")
        .await;
    browser.screenshot("workers", DESKTOP).await;

    // A dead job (of a queue no worker here serves, so it stays queued once retried).
    let dead = insert_job(
        &app,
        "reports",
        "report.generate.v1",
        "dead",
        json!({"report_id": Uuid::now_v7()}),
    )
    .await;
    let queued_job = insert_job(
        &app,
        "reports",
        "report.generate.v1",
        "queued",
        json!({"report_id": Uuid::now_v7()}),
    )
    .await;
    browser.goto(&format!("{base}/admin/jobs/{dead}")).await;
    browser.screenshot("job", DESKTOP).await;
    browser.goto(&format!("{base}/admin/dead")).await;
    browser.screenshot("dead", DESKTOP).await;
    browser.screenshot("dead-phone", PHONE).await;
    browser
        .click(&format!(
            "tr[data-job=\"{dead}\"] button[data-action=retry]"
        ))
        .await;
    browser
        .wait_for_text("the retry notice", ".notice.ok", |t| {
            t.contains("queued again")
        })
        .await;
    assert_eq!(job_status(&app, dead).await, "queued");

    browser
        .goto(&format!("{base}/admin/jobs/{queued_job}"))
        .await;
    browser.click("button[data-action=cancel]").await;
    browser
        .wait_for_text("the cancel notice", ".notice.ok", |t| {
            t.contains("cancelled")
        })
        .await;
    assert_eq!(job_status(&app, queued_job).await, "cancelled");

    browser
        .goto(&format!("{base}/admin/jobs?queue=reports"))
        .await;
    browser.screenshot("jobs", DESKTOP).await;
    sqlx::query(
        "INSERT INTO reports (id, requested_by, report_type, format, date_from, date_to, status, \
           progress, started_at) \
         SELECT $1, id, 'sales_summary', 'xlsx', current_date - 30, current_date, 'running', 62, \
           now() FROM users WHERE email = $2",
    )
    .bind(Uuid::now_v7())
    .bind(&admin)
    .execute(&app.pool)
    .await
    .expect("a running report");
    browser.goto(&format!("{base}/admin/work")).await;
    browser.screenshot("work", DESKTOP).await;

    // A forged CSRF token is refused, and nothing is retried.
    let other_dead = insert_job(&app, "reports", "report.generate.v1", "dead", json!({})).await;
    browser.goto(&format!("{base}/admin/dead")).await;
    browser
        .client
        .execute(
            "document.querySelectorAll('input[name=csrf]').forEach(f => f.value = 'forged');",
            vec![],
        )
        .await
        .expect("script runs");
    browser.click("button[data-action=retry-dead]").await;
    wait_until("the CSRF refusal", WAIT, || async {
        let source = browser.client.source().await.ok()?;
        source.contains("csrf_token_invalid").then_some(())
    })
    .await;
    assert_eq!(job_status(&app, other_dead).await, "dead");

    // Logging out ends the session: the console is the login page again.
    browser.goto(&format!("{base}/admin/")).await;
    browser.click("form.logout button").await;
    wait_until("the login page after logout", WAIT, || async {
        (browser.path().await == "/admin/login").then_some(())
    })
    .await;
    browser.goto(&format!("{base}/admin/dead")).await;
    assert_eq!(
        browser.path().await,
        "/admin/login",
        "no session, no console"
    );

    browser.close().await;
    worker.kill().expect("cleanup");
    let _ = worker.wait();
}
