//! The welcome email end to end, and the job system's guarantees around it: durable enqueue
//! while Redis is down, retries with growing delays then dead, admin retry, permanent errors.

mod support;

use std::time::Duration;

use serde_json::json;

use comptoir_domain::types::Role;
use comptoir_jobs::Producer;
use comptoir_jobs::email::{EmailMessage, SendEmail};
use comptoir_testkit::app::unique_email;
use comptoir_testkit::mail::{messages_to, wait_for_messages};
use comptoir_testkit::{TestApp, test_settings, wait_until};
use support::{PrivateRedis, free_port, job, job_id_where, spawn_worker, wait_for_status};

const PASSWORD: &str = "correct horse battery";
const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_sends_one_welcome_email_with_text_and_html() {
    let settings = test_settings(&[]).await;
    let app = TestApp::spawn(settings.clone()).await;
    let _worker = spawn_worker(&settings, &["email"]);
    let email = unique_email("welcome");

    app.register(&email, PASSWORD).await;

    let mails = wait_for_messages(&email, 1, WAIT).await;
    let mail = &mails[0];
    assert!(mail.to.contains(&email));
    assert_eq!(mail.subject, "Welcome to Comptoir, Test User");
    assert!(mail.text.contains("Hello Test User,"), "{}", mail.text);
    assert!(
        mail.html.contains("<strong>Comptoir</strong>"),
        "{}",
        mail.html
    );
    let id = job_id_where(&app.pool, "email.send.v1", "to", &json!(email)).await;
    let job = wait_for_status(&app.pool, id, "succeeded", WAIT).await;
    assert_eq!(job.attempts, 1);
    assert_eq!(messages_to(&email).len(), 1, "sent exactly once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_accepted_while_redis_is_down_run_once_it_is_back() {
    let mut redis = PrivateRedis::stopped();
    let settings = test_settings(&[("redis.url", json!(redis.url()))]).await;
    let app = TestApp::spawn(settings.clone()).await;
    let email = unique_email("outage");

    // Redis is down: the API still answers and the job waits in the outbox.
    let ready = app.get("/health/ready", None).await;
    assert_eq!(ready.status(), 503);
    assert_eq!(
        ready.json::<serde_json::Value>().await.expect("json")["redis"],
        "unavailable"
    );
    app.register(&email, PASSWORD).await;
    let id = job_id_where(&app.pool, "email.send.v1", "to", &json!(email)).await;
    assert_eq!(job(&app.pool, id).await.status, "queued");

    // Redis comes back: the API's relay pushes the job and a worker runs it.
    redis.start().await;
    let _worker = spawn_worker(&settings, &["email"]);
    wait_for_messages(&email, 1, WAIT).await;
    let job = wait_for_status(&app.pool, id, "succeeded", WAIT).await;
    assert_eq!(job.attempts, 1);
    assert_eq!(messages_to(&email).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_smtp_server_means_growing_retries_then_dead_then_admin_retry_delivers() {
    let overrides = [
        ("smtp.port", json!(free_port())), // nothing listens there
        ("jobs.queues.email.max_attempts", json!(4)),
        ("jobs.backoff_base_ms", json!(300)),
        ("jobs.backoff_max_ms", json!(5000)),
    ];
    let settings = test_settings(&overrides).await;
    let app = TestApp::spawn(settings.clone()).await;
    let broken_worker = spawn_worker(&settings, &["email"]);
    let email = unique_email("retry");
    app.register(&email, PASSWORD).await;
    let id = job_id_where(&app.pool, "email.send.v1", "to", &json!(email)).await;

    // Observe each scheduled retry: the delay between a failure and the next run grows.
    let mut delays_ms = Vec::new();
    while delays_ms.len() < 3 {
        let attempt = delays_ms.len() as i32 + 1;
        let (run_at, failed_at) =
            wait_until(&format!("retry after attempt {attempt}"), WAIT, || async {
                let row: (
                    String,
                    i32,
                    chrono::DateTime<chrono::Utc>,
                    chrono::DateTime<chrono::Utc>,
                ) = sqlx::query_as(
                    "SELECT status, attempts, run_at, updated_at FROM jobs WHERE id = $1",
                )
                .bind(id)
                .fetch_one(&app.pool)
                .await
                .expect("job");
                (row.0 == "retrying" && row.1 == attempt).then_some((row.2, row.3))
            })
            .await;
        delays_ms.push((run_at - failed_at).num_milliseconds());
    }
    let dead = wait_for_status(&app.pool, id, "dead", WAIT).await;
    assert_eq!(dead.attempts, 4);
    assert!(
        dead.last_error
            .as_deref()
            .unwrap_or_default()
            .contains("transient: SMTP send"),
        "{:?}",
        dead.last_error
    );
    // 300, 600, 1200 ms nominal with ±25% jitter: the ranges do not overlap.
    assert!(
        delays_ms.windows(2).all(|w| w[1] > w[0]),
        "delays grow: {delays_ms:?}"
    );
    assert!(
        (225..=375).contains(&delays_ms[0]),
        "first delay {delays_ms:?}"
    );
    assert!(messages_to(&email).is_empty(), "nothing was sent");
    broken_worker.stop().await;

    // The SMTP server is back; an admin retries the dead job.
    let (_, admin) = app.user_with_role(Role::Maintainer).await;
    let listed: serde_json::Value = app
        .get("/v1/admin/jobs?status=dead&queue=email", Some(&admin))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["id"], json!(id));
    let mut fixed = settings.clone();
    fixed.smtp.port = 1025;
    let _worker = spawn_worker(&fixed, &["email"]);
    let retried = app
        .post(
            &format!("/v1/admin/jobs/{id}/retry"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(retried.status(), 200);
    wait_for_messages(&email, 1, WAIT).await;
    let job = wait_for_status(&app.pool, id, "succeeded", WAIT).await;
    assert_eq!(job.attempts, 1, "a retried job gets a fresh budget");
    assert_eq!(messages_to(&email).len(), 1);
    // Retrying a job that is not dead or failed is refused.
    let again = app
        .post(
            &format!("/v1/admin/jobs/{id}/retry"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(again.status(), 409);
    assert_eq!(
        again.json::<serde_json::Value>().await.expect("json")["code"],
        "job_not_retryable"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanent_failure_is_not_retried() {
    let settings = test_settings(&[]).await;
    let app = TestApp::spawn(settings.clone()).await;
    let _worker = spawn_worker(&settings, &["email"]);
    let producer = Producer::new(&settings);
    let mut tx = app.pool.begin().await.expect("tx");
    let bad = SendEmail {
        to: "not an email address".into(),
        dedupe_key: format!("test:{}", uuid::Uuid::now_v7()),
        message: EmailMessage::Welcome {
            name: "Nobody".into(),
        },
    };
    let id = producer.enqueue(&mut tx, &bad).await.expect("enqueued");
    producer.commit(tx).await.expect("committed");
    // The worker's relay pushes it (this producer's kick reaches no relay).

    let failed = wait_for_status(&app.pool, id, "failed", WAIT).await;
    assert_eq!(failed.attempts, 1);
    assert!(
        failed
            .last_error
            .as_deref()
            .unwrap_or_default()
            .starts_with("permanent:"),
        "{:?}",
        failed.last_error
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_queue_message_was_lost_is_sent_again() {
    let mut redis = PrivateRedis::stopped();
    redis.start().await;
    let settings = test_settings(&[("redis.url", json!(redis.url()))]).await;
    let app = TestApp::spawn(settings.clone()).await;
    let email = unique_email("lost");
    app.register(&email, PASSWORD).await;
    let id = job_id_where(&app.pool, "email.send.v1", "to", &json!(email)).await;
    wait_until("the job to reach redis", WAIT, || async {
        let relayed: Option<chrono::DateTime<chrono::Utc>> =
            sqlx::query_scalar("SELECT relayed_at FROM jobs WHERE id = $1")
                .bind(id)
                .fetch_one(&app.pool)
                .await
                .expect("job");
        relayed.map(|_| ())
    })
    .await;

    // Redis restarts without persistence: the queued message is gone.
    let flushed = std::process::Command::new("redis-cli")
        .args(["-p", &redis.port.to_string(), "FLUSHALL"])
        .output()
        .expect("redis-cli");
    assert!(flushed.status.success());

    let _worker = spawn_worker(&settings, &["email"]);
    wait_for_messages(&email, 1, WAIT).await;
    let job = wait_for_status(&app.pool, id, "succeeded", WAIT).await;
    assert_eq!(job.attempts, 1);
    assert_eq!(messages_to(&email).len(), 1);
}
