//! What ops do to jobs and see of workers, with real worker processes: cancelling a queued job
//! (and the report it carried), asking a running one to stop, and the worker registry.

mod support;

use std::time::Duration;

use serde_json::{Value, json};

use comptoir_domain::types::Role;
use comptoir_testkit::app::unique_email;
use comptoir_testkit::console::action_count;
use comptoir_testkit::mail::messages_to;
use comptoir_testkit::{TestApp, assert_problem, test_settings, wait_until};
use support::{job_id_where, smtp_tarpit, spawn_worker_process, wait_for_status};

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_job_asked_to_stop_ends_cancelled() {
    // The email job stays running: the SMTP server accepts the connection and never answers.
    let tarpit = smtp_tarpit().await;
    let settings = test_settings(&[
        ("smtp.port", json!(tarpit)),
        ("smtp.timeout_secs", json!(120)),
    ])
    .await;
    let app = TestApp::spawn(settings.clone()).await;
    let mut worker = spawn_worker_process(&settings, "email");
    let (_, admin) = app.user_with_role(Role::Superadmin).await;
    let email = unique_email("cancelled");
    app.register(&email, "correct horse battery").await;
    let id = job_id_where(&app.pool, "email.send.v1", "to", &json!(email)).await;
    wait_for_status(&app.pool, id, "running", WAIT).await;

    let asked = app
        .post(
            &format!("/v1/admin/jobs/{id}/cancel"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(asked.status(), 202);
    let asked: Value = asked.json().await.expect("json");
    assert_eq!(asked["status"], "running");
    assert!(asked["cancel_requested_at"].is_string(), "{asked}");

    // The worker sees the request at its next lease renewal and stops the run.
    let job = wait_for_status(&app.pool, id, "cancelled", WAIT).await;
    assert_eq!(job.attempts, 1, "not run again");
    assert!(job.finished_at.is_some());
    assert_eq!(action_count(&app, "job.cancel_requested", id).await, 1);
    assert!(messages_to(&email).is_empty());
    let again = app
        .post(
            &format!("/v1/admin/jobs/{id}/cancel"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_problem(again, 409, "job_not_cancellable").await;
    worker.kill().expect("cleanup");
    let _ = worker.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_job_is_cancelled_at_once_with_the_report_it_carried() {
    let root = std::env::temp_dir().join(format!("comptoir-test-{}", uuid::Uuid::now_v7()));
    let settings = test_settings(&[("storage.root", json!(root))]).await;
    let app = TestApp::spawn(settings.clone()).await;
    let (_, admin) = app.user_with_role(Role::Maintainer).await;
    let (_, seller) = app.user_with_role(Role::Seller).await;
    let report: Value = app
        .post(
            "/v1/reports",
            Some(&admin),
            json!({"type": "orders_detail", "format": "csv", "date_from": "2026-03-01", "date_to": "2026-03-31"}),
        )
        .await
        .json()
        .await
        .expect("report");
    let report_id = report["id"].as_str().expect("id").to_owned();
    let job: uuid::Uuid = sqlx::query_scalar("SELECT job_id FROM reports WHERE id = $1::uuid")
        .bind(&report_id)
        .fetch_one(&app.pool)
        .await
        .expect("job id");

    let path = format!("/v1/admin/jobs/{job}/cancel");
    assert_problem(
        app.post(&path, Some(&seller), json!({})).await,
        403,
        "forbidden",
    )
    .await;
    let cancelled = app.post(&path, Some(&admin), json!({})).await;
    assert_eq!(cancelled.status(), 200);
    let cancelled: Value = cancelled.json().await.expect("json");
    assert_eq!(cancelled["status"], "cancelled");
    let report: Value = app
        .get(&format!("/v1/reports/{report_id}"), Some(&admin))
        .await
        .json()
        .await
        .expect("report");
    assert_eq!(report["status"], "cancelled");
    assert_eq!(action_count(&app, "job.cancelled", job).await, 1);
    let unknown = format!("/v1/admin/jobs/{}/cancel", uuid::Uuid::now_v7());
    assert_problem(
        app.post(&unknown, Some(&admin), json!({})).await,
        404,
        "not_found",
    )
    .await;

    // A worker that receives its message does not run it: the claim takes only queued jobs.
    // A report asked for after it runs once the worker has been through the queue.
    let mut worker = spawn_worker_process(&settings, "reports");
    let later: Value = app
        .post(
            "/v1/reports",
            Some(&admin),
            json!({"type": "orders_detail", "format": "csv", "date_from": "2026-04-01", "date_to": "2026-04-30"}),
        )
        .await
        .json()
        .await
        .expect("report");
    let later = later["id"].as_str().expect("id").to_owned();
    wait_until("the later report", WAIT, || async {
        let report: Value = app
            .get(&format!("/v1/reports/{later}"), Some(&admin))
            .await
            .json()
            .await
            .ok()?;
        (report["status"] == "succeeded").then_some(())
    })
    .await;
    let still: (String, i32) = sqlx::query_as("SELECT status, attempts FROM jobs WHERE id = $1")
        .bind(job)
        .fetch_one(&app.pool)
        .await
        .expect("job");
    assert_eq!(still, ("cancelled".to_owned(), 0));
    worker.kill().expect("cleanup");
    let _ = worker.wait();
}

async fn workers(app: &TestApp, admin: &str) -> Vec<Value> {
    let listed: Value = app
        .get("/v1/admin/workers", Some(admin))
        .await
        .json()
        .await
        .expect("json");
    listed["items"].as_array().expect("items").clone()
}

async fn wait_for_state(app: &TestApp, admin: &str, pid: u32, state: &str) -> Value {
    wait_until(&format!("worker {pid} {state}"), WAIT, || async {
        workers(app, admin)
            .await
            .into_iter()
            .find(|w| w["pid"] == json!(pid) && w["state"] == state)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_processes_are_listed_live_then_gone_or_stopped() {
    let settings = test_settings(&[
        ("worker.heartbeat_secs", json!(1)),
        ("worker.gone_after_secs", json!(3)),
    ])
    .await;
    let app = TestApp::spawn(settings.clone()).await;
    let (_, admin) = app.user_with_role(Role::Superadmin).await;
    let mut killed = spawn_worker_process(&settings, "email,system");
    let mut stopped = spawn_worker_process(&settings, "reports");

    let live = wait_for_state(&app, &admin, killed.id(), "live").await;
    assert_eq!(
        live["queues"],
        json!({"email": settings.queue_concurrency("email"), "system": settings.queue_concurrency("system")})
    );
    assert_eq!(live["in_flight"], 0);
    assert!(live["host"].is_string() && live["version"].is_string() && live["name"].is_string());
    wait_for_state(&app, &admin, stopped.id(), "live").await;

    killed.kill().expect("SIGKILL");
    killed.wait().expect("reaped");
    wait_for_state(&app, &admin, killed.id(), "gone").await;

    let pid = stopped.id().to_string();
    let term = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status();
    assert!(term.expect("kill").success());
    stopped.wait().expect("exited");
    let exited = wait_for_state(&app, &admin, stopped.id(), "stopped").await;
    assert_eq!(exited["in_flight"], 0);
}
