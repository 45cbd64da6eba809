//! Job-system benchmark against the real services (see README "Benchmarks"):
//!   1. enqueue throughput through the API (`POST /v1/admin/jobs/{id}/retry`: auth, a
//!      transaction with the outbox row and the audit entry, then the relay to Redis), and
//!      `POST /v1/auth/register` (the same plus an argon2id hash, for scale);
//!   2. jobs per second through one worker process (welcome emails to the SMTP sink);
//!   3. enqueue-to-start latency on an idle worker (ledger `started_at - created_at`).
//!
//! Run: `scripts/services.sh && COMPTOIR_ENV=test cargo bench -p comptoir-worker --bench jobs`
//! Sizes: BENCH_JOBS (default 2000), BENCH_LATENCY_SAMPLES (default 200).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures::{StreamExt, stream};
use serde_json::json;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use comptoir_domain::config::Settings;
use comptoir_domain::types::Role;
use comptoir_jobs::email::{EmailMessage, SendEmail};
use comptoir_jobs::{Producer, RedisTransport, Relay};
use comptoir_testkit::bench::{env_number, percentile};
use comptoir_testkit::{TestApp, test_settings, wait_until, worker_env};

const CONCURRENCY: usize = 16;

fn worker_process(settings: &Settings) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_comptoir-worker"))
        .args(["--queues", "email"])
        .envs(worker_env(settings))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("worker binary")
}

async fn count(app: &TestApp, status: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM jobs WHERE status = $1")
        .bind(status)
        .fetch_one(&app.pool)
        .await
        .expect("count")
}

/// Fires `requests` with CONCURRENCY in flight; returns requests per second.
async fn load(requests: Vec<reqwest::RequestBuilder>) -> f64 {
    let total = requests.len();
    let started = Instant::now();
    let ok = stream::iter(requests)
        .map(|request| async move {
            request
                .send()
                .await
                .map(|r| r.status().is_success())
                .unwrap_or(false)
        })
        .buffer_unordered(CONCURRENCY)
        .filter(|ok| futures::future::ready(*ok))
        .count()
        .await;
    assert_eq!(ok, total, "every request succeeded");
    total as f64 / started.elapsed().as_secs_f64()
}

async fn enqueue_through_api(app: &TestApp, jobs: usize) {
    let (_, admin) = app.user_with_role(Role::Superadmin).await;
    // Dead jobs to retry: each retry is one enqueue through the API.
    sqlx::query(
        "INSERT INTO jobs (id, queue, kind, payload, status, max_attempts, relayed_at) \
         SELECT gen_random_uuid(), 'email', 'email.send.v1', '{}'::jsonb, 'dead', 1, now() FROM generate_series(1, $1)",
    )
    .bind(jobs as i32)
    .execute(&app.pool)
    .await
    .expect("seed dead jobs");
    let ids: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM jobs WHERE status = 'dead'")
        .fetch_all(&app.pool)
        .await
        .expect("ids");
    let requests = ids
        .iter()
        .map(|id| {
            app.client
                .post(format!("{}/v1/admin/jobs/{id}/retry", app.address))
                .bearer_auth(&admin)
        })
        .collect();
    let per_second = load(requests).await;
    let relayed: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE relayed_at IS NULL")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    println!(
        "enqueue via API (admin retry), {jobs} requests, {CONCURRENCY} in flight: {per_second:.0} jobs/s ({relayed} not yet relayed at the end)"
    );
    // Leave nothing for the next phase.
    sqlx::query("DELETE FROM jobs")
        .execute(&app.pool)
        .await
        .expect("clean");

    let registrations = (jobs / 10).max(50);
    let requests = (0..registrations)
        .map(|i| {
            let body = json!({"email": format!("bench-{i}-{}@example.com", Uuid::now_v7().simple()), "password": "correct horse battery", "name": "Bench"});
            app.client.post(format!("{}/v1/auth/register", app.address)).json(&body)
        })
        .collect();
    let per_second = load(requests).await;
    println!(
        "POST /v1/auth/register (argon2id + welcome email enqueue), {registrations} requests: {per_second:.0} req/s"
    );
    sqlx::query("DELETE FROM jobs")
        .execute(&app.pool)
        .await
        .expect("clean");
}

async fn enqueue_emails(app: &TestApp, producer: &Producer, jobs: usize) {
    let mut tx = app.pool.begin().await.expect("tx");
    for i in 0..jobs {
        let job = SendEmail {
            to: format!("bench-{i}@example.com"),
            dedupe_key: format!("bench:{}", Uuid::now_v7()),
            message: EmailMessage::Welcome {
                name: format!("Bench {i}"),
            },
        };
        producer.enqueue(&mut tx, &job).await.expect("enqueue");
    }
    producer.commit(tx).await.expect("commit");
}

async fn worker_throughput(app: &TestApp, producer: &Producer, jobs: usize) {
    enqueue_emails(app, producer, jobs).await;
    let mut worker = worker_process(&app.settings);
    let started = Instant::now();
    wait_until("all emails sent", Duration::from_secs(600), || async {
        (count(app, "succeeded").await >= jobs as i64).then_some(())
    })
    .await;
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "one worker process (email concurrency {}), {jobs} emails to the SMTP sink: {:.0} jobs/s (includes process start)",
        app.settings.queue_concurrency("email"),
        jobs as f64 / elapsed
    );
    worker.kill().expect("stop worker");
    let _ = worker.wait();
    sqlx::query("DELETE FROM jobs")
        .execute(&app.pool)
        .await
        .expect("clean");
}

async fn latency(app: &TestApp, producer: &Producer, samples: usize) {
    let mut worker = worker_process(&app.settings);
    // Warm up: the worker is up and idle once its first job ran.
    enqueue_emails(app, producer, 1).await;
    wait_until("warm-up job", Duration::from_secs(30), || async {
        (count(app, "succeeded").await >= 1).then_some(())
    })
    .await;
    let mut latencies = Vec::with_capacity(samples);
    for i in 0..samples {
        enqueue_emails(app, producer, 1).await;
        wait_until("job to finish", Duration::from_secs(30), || async {
            (count(app, "succeeded").await >= 2 + i as i64).then_some(())
        })
        .await;
        // Idle gaps so every sample starts from an idle worker.
        tokio::time::sleep(Duration::from_millis(10 + (i as u64 * 7) % 40)).await;
    }
    let rows: Vec<f64> = sqlx::query_scalar(
        "SELECT (EXTRACT(EPOCH FROM started_at - created_at) * 1000)::float8 FROM jobs WHERE status = 'succeeded' ORDER BY created_at OFFSET 1",
    )
    .fetch_all(&app.pool)
    .await
    .expect("latencies");
    latencies.extend(rows);
    latencies.sort_by(f64::total_cmp);
    println!(
        "enqueue-to-start latency, idle worker, {} samples: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or_default()
    );
    worker.kill().expect("stop worker");
    let _ = worker.wait();
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` probes; nothing to list
    }
    let jobs = env_number("BENCH_JOBS", 2000);
    let samples = env_number("BENCH_LATENCY_SAMPLES", 200);
    // The default relay sweep (1 s), so that latency comes from the post-commit wake-up.
    let overrides = [
        ("server.workers", json!(2)),
        ("database.max_connections", json!(20)),
        ("jobs.relay_interval_ms", json!(1000)),
    ];
    let settings = test_settings(&overrides).await;
    let app = TestApp::spawn(settings.clone()).await;
    // Jobs enqueued by the bench itself are pushed as the API pushes its own: a relay woken by
    // the producer's commit.
    let producer = Producer::new(&settings);
    let transport = RedisTransport::new(&settings.redis).expect("redis url");
    let relay = Relay::new(
        app.pool.clone(),
        transport,
        &settings.jobs,
        producer.kicker(),
    );
    tokio::spawn(relay.run(CancellationToken::new()));
    println!(
        "comptoir job-system benchmark ({} cores)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    enqueue_through_api(&app, jobs).await;
    worker_throughput(&app, &producer, jobs).await;
    latency(&app, &producer, samples).await;
}
