//! Real worker processes: killed with SIGKILL mid-job, stopped with SIGTERM, and two of them
//! sharing the cron schedule.

mod support;

use std::collections::HashSet;
use std::time::Duration;

use serde_json::json;

use comptoir_testkit::app::unique_email;
use comptoir_testkit::mail::{messages_to, wait_for_messages};
use comptoir_testkit::{TestApp, test_settings, wait_until};
use support::{job_id_where, smtp_tarpit, spawn_worker_process, wait_for_status};

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_job_is_replaced_and_the_email_is_sent_once() {
    let tarpit = smtp_tarpit().await;
    let overrides = [
        ("smtp.port", json!(tarpit)),
        ("smtp.timeout_secs", json!(120)),
    ];
    let mut settings = test_settings(&overrides).await;
    let app = TestApp::spawn(settings.clone()).await;
    let mut doomed = spawn_worker_process(&settings, "email");
    let email = unique_email("killed");
    app.register(&email, "correct horse battery").await;
    let id = job_id_where(&app.pool, "email.send.v1", "to", &json!(email)).await;

    // The job is running: the worker is stuck talking to the silent SMTP server.
    let running = wait_for_status(&app.pool, id, "running", WAIT).await;
    assert_eq!(running.attempts, 1);
    doomed.kill().expect("SIGKILL");
    doomed.wait().expect("reaped");

    // A new worker with a working SMTP server picks the job up once the dead one's lease expires.
    settings.smtp.port = 1025;
    settings.smtp.timeout_secs = 15;
    let mut replacement = spawn_worker_process(&settings, "email");
    wait_for_messages(&email, 1, WAIT).await;
    let job = wait_for_status(&app.pool, id, "succeeded", WAIT).await;
    assert_eq!(job.attempts, 2, "the interrupted run counts as an attempt");
    let deliveries: (String, i32) =
        sqlx::query_as("SELECT status, attempts FROM deliveries WHERE recipient = $1")
            .bind(&email)
            .fetch_one(&app.pool)
            .await
            .expect("one delivery row");
    assert_eq!(deliveries, ("sent".to_owned(), 2));
    assert_eq!(messages_to(&email).len(), 1, "exactly one email");
    replacement.kill().expect("cleanup");
    let _ = replacement.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_a_worker_cleanly() {
    let settings = test_settings(&[]).await;
    let app = TestApp::spawn(settings.clone()).await;
    let mut worker = spawn_worker_process(&settings, "email,maintenance");
    // Started: its housekeeping schedule enqueued the current tick.
    wait_until("the worker to start", WAIT, || async {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM jobs WHERE kind = 'maintenance.housekeeping.v1'",
        )
        .fetch_one(&app.pool)
        .await
        .expect("count");
        (n > 0).then_some(())
    })
    .await;
    let pid = worker.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill")
            .success()
    );
    let status = wait_until("the worker to exit", WAIT, || {
        let exited = worker.try_wait().expect("try_wait");
        async move { exited }
    })
    .await;
    assert!(status.success(), "exit status {status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_worker_processes_run_each_cron_tick_once() {
    let settings = test_settings(&[("jobs.housekeeping_interval_secs", json!(1))]).await;
    let app = TestApp::spawn(settings.clone()).await;
    let mut workers = [
        spawn_worker_process(&settings, "maintenance"),
        spawn_worker_process(&settings, "maintenance"),
    ];

    let ticks: Vec<(String, String, i32)> = wait_until("five housekeeping ticks to run", WAIT, || async {
        let rows: Vec<(String, String, i32)> = sqlx::query_as(
            "SELECT payload ->> 'tick', status, attempts FROM jobs WHERE kind = 'maintenance.housekeeping.v1' ORDER BY 1",
        )
        .fetch_all(&app.pool)
        .await
        .expect("jobs");
        (rows.iter().filter(|(_, status, _)| status == "succeeded").count() >= 5).then_some(rows)
    })
    .await;
    for worker in &mut workers {
        worker.kill().expect("cleanup");
        let _ = worker.wait();
    }
    let distinct: HashSet<&String> = ticks.iter().map(|(tick, _, _)| tick).collect();
    assert_eq!(distinct.len(), ticks.len(), "one job per tick: {ticks:?}");
    let finished: Vec<_> = ticks
        .iter()
        .filter(|(_, status, _)| status == "succeeded")
        .collect();
    assert!(
        finished.iter().all(|(_, _, attempts)| *attempts == 1),
        "each tick ran once: {ticks:?}"
    );
}
