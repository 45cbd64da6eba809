//! The job transport under load and failure: Redis holds a bounded window whatever the backlog,
//! lost messages are sent again, and a worker whose Redis is gone neither loops nor floods its
//! log, says so on its health endpoint, and exits when it cannot recover.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::PgPool;

use comptoir_domain::config::Settings;
use comptoir_domain::db;
use comptoir_jobs::{Producer, RedisTransport, Relay};
use comptoir_testkit::bench::pings_unfinished;
use comptoir_testkit::{test_settings, wait_until, worker_env};
use support::{free_port, spawn_worker_process};

async fn insert_pings(pool: &PgPool, jobs: i32) {
    sqlx::query(
        "INSERT INTO jobs (id, queue, kind, payload, max_attempts) \
         SELECT gen_random_uuid(), 'system', 'system.ping.v1', '{}'::jsonb, 3 FROM generate_series(1, $1)",
    )
    .bind(jobs)
    .execute(pool)
    .await
    .expect("burst");
}

/// A migrated database, its Redis, and a relay as the API runs it.
async fn relay_of(settings: &Settings) -> (PgPool, RedisTransport, Relay) {
    let pool = db::pool(&settings.database).expect("pool");
    db::migrate(&pool).await.expect("migrations");
    let transport = RedisTransport::new(&settings.redis).expect("redis url");
    let relay = Relay::new(
        pool.clone(),
        transport.clone(),
        &settings.jobs,
        Producer::new(settings).kicker(),
    );
    (pool, transport, relay)
}

async fn count(pool: &PgPool, status: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM jobs WHERE status = $1")
        .bind(status)
        .fetch_one(pool)
        .await
        .expect("count")
}

async fn queue_length(transport: &RedisTransport, queue: &str) -> usize {
    let mut connection = transport.connection().await.expect("redis");
    redis::cmd("LLEN")
        .arg(transport.queue_key(queue))
        .query_async(&mut connection)
        .await
        .expect("llen")
}

/// Every key this test's namespace holds in Redis.
async fn namespace_keys(transport: &RedisTransport, settings: &Settings) -> Vec<String> {
    let mut connection = transport.connection().await.expect("redis");
    redis::cmd("KEYS")
        .arg(format!("{}*", settings.redis.namespace))
        .query_async(&mut connection)
        .await
        .expect("keys")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_200000_jobs_drains_with_redis_holding_only_the_window() {
    const BURST: i32 = 200_000;
    let settings = test_settings(&[("jobs.lease_secs", json!(30))]).await;
    let pool = db::pool(&settings.database).expect("pool");
    db::migrate(&pool).await.expect("migrations");
    let transport = RedisTransport::new(&settings.redis).expect("redis url");
    let window = settings.jobs.queues["system"].window();
    let memory_before = transport.used_memory().await.expect("memory");

    // One statement, as a notification to a large audience would write it.
    insert_pings(&pool, BURST).await;
    let mut worker = spawn_worker_process(&settings, "system");
    // Sampled on every probe while the burst drains.
    let longest = Arc::new(AtomicUsize::new(0));
    let peak_memory = Arc::new(std::sync::atomic::AtomicU64::new(0));
    wait_until("the burst to drain", Duration::from_secs(170), || {
        let (pool, transport) = (&pool, &transport);
        let (longest, peak_memory) = (longest.clone(), peak_memory.clone());
        async move {
            longest.fetch_max(queue_length(transport, "system").await, Ordering::Relaxed);
            peak_memory.fetch_max(
                transport.used_memory().await.expect("memory"),
                Ordering::Relaxed,
            );
            // Cheap while the burst drains (the status index), exact at the end.
            (!pings_unfinished(pool).await).then_some(())
        }
    })
    .await;
    assert_eq!(
        count(&pool, "succeeded").await,
        i64::from(BURST),
        "every job succeeded"
    );
    let (longest, peak_memory) = (
        longest.load(Ordering::Relaxed),
        peak_memory.load(Ordering::Relaxed),
    );
    worker.kill().expect("stop");
    let _ = worker.wait();

    assert!(
        longest <= window,
        "Redis held {longest} messages; the window is {window}"
    );
    // Redis is shared with the tests running beside this one; a window of messages is a few
    // KiB, so 16 MiB of growth means something besides the window was stored.
    let growth = peak_memory.saturating_sub(memory_before);
    assert!(growth < 16 << 20, "Redis grew by {growth} bytes");
    let keys = namespace_keys(&transport, &settings).await;
    let queue_prefix = format!("{}:queue:", settings.redis.namespace);
    assert!(
        keys.iter().all(|key| key.starts_with(&queue_prefix)),
        "nothing but queue lists is kept: {keys:?}"
    );
    assert_eq!(
        queue_length(&transport, "system").await,
        0,
        "nothing left behind"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_fills_a_window_and_leaves_the_backlog_in_the_outbox() {
    let settings = test_settings(&[("jobs.queues.system.window", json!(100))]).await;
    let (pool, transport, relay) = relay_of(&settings).await;
    insert_pings(&pool, 1_000).await;

    assert_eq!(relay.drain().await.expect("relay"), 100);
    assert_eq!(relay.drain().await.expect("relay"), 0, "the window is full");
    assert_eq!(queue_length(&transport, "system").await, 100);
    let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE relayed_at IS NULL")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(waiting, 900, "the rest waits in the outbox");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_lost_with_an_emptied_redis_are_delivered_again() {
    let settings = test_settings(&[]).await;
    let (pool, transport, relay) = relay_of(&settings).await;
    insert_pings(&pool, 50).await;
    relay.drain().await.expect("relay");
    // Redis restarts empty: every message is gone, the ledger says they were handed over.
    let mut connection = transport.connection().await.expect("redis");
    redis::cmd("DEL")
        .arg(transport.queue_key("system"))
        .query_async::<()>(&mut connection)
        .await
        .expect("del");

    let mut worker = spawn_worker_process(&settings, "system");
    wait_until("the lost jobs to run", Duration::from_secs(60), || async {
        (count(&pool, "succeeded").await == 50).then_some(())
    })
    .await;
    worker.kill().expect("stop");
    let _ = worker.wait();
    let attempts: Vec<i32> =
        sqlx::query_scalar("SELECT DISTINCT attempts FROM jobs WHERE kind = 'system.ping.v1'")
            .fetch_all(&pool)
            .await
            .expect("attempts");
    assert_eq!(attempts, vec![1], "each ran once");
}

/// A worker whose Redis does not exist (a port nobody listens on).
fn worker_without_redis(
    settings: &Settings,
    health_port: u16,
    exit_after_secs: u64,
) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_comptoir-worker"))
        .args(["--queues", "email"])
        .envs(worker_env(settings))
        .env(
            "COMPTOIR__REDIS__URL",
            format!("redis://127.0.0.1:{}/", free_port()),
        )
        .env(
            "COMPTOIR__WORKER__HEALTH_BIND",
            format!("127.0.0.1:{health_port}"),
        )
        .env(
            "COMPTOIR__WORKER__UNHEALTHY_EXIT_SECS",
            exit_after_secs.to_string(),
        )
        .env("COMPTOIR__JOBS__LOG_REPEAT_SECS", "15")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the worker binary starts")
}

/// Counts the lines `stream` writes, on a thread.
fn count_lines(stream: impl std::io::Read + Send + 'static, lines: Arc<AtomicUsize>) {
    std::thread::spawn(move || {
        for _ in BufReader::new(stream).lines() {
            lines.fetch_add(1, Ordering::Relaxed);
        }
    });
}

/// Waits until the worker on `port` answers its readiness probe with `status`.
async fn readiness(port: u16, status: u16) -> (u16, serde_json::Value) {
    wait_until(
        "the worker's readiness",
        Duration::from_secs(30),
        || async {
            probe(port, "/health/ready")
                .await
                .filter(|(answered, _)| *answered == status)
        },
    )
    .await
}

async fn probe(port: u16, path: &str) -> Option<(u16, serde_json::Value)> {
    let response = reqwest::get(format!("http://127.0.0.1:{port}{path}"))
        .await
        .ok()?;
    let status = response.status().as_u16();
    Some((status, response.json().await.ok()?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_whose_redis_is_down_for_a_minute_logs_a_few_lines_and_reports_unready() {
    let settings = test_settings(&[]).await;
    let health_port = free_port();
    let mut worker = worker_without_redis(&settings, health_port, 0);
    let lines = Arc::new(AtomicUsize::new(0));
    count_lines(worker.stdout.take().expect("stdout"), lines.clone());
    count_lines(worker.stderr.take().expect("stderr"), lines.clone());

    let (status, body) = readiness(health_port, 503).await;
    assert_eq!(status, 503);
    assert_eq!(body["failing"][0]["queue"], "email", "{body}");
    assert!(
        body["failing"][0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("redis")),
        "{body}"
    );
    assert_eq!(
        probe(health_port, "/health/live").await.map(|(s, _)| s),
        Some(200),
        "alive: it keeps trying"
    );

    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        assert!(
            worker.try_wait().expect("status").is_none(),
            "the worker keeps running"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    worker.kill().expect("stop");
    let _ = worker.wait();
    let written = lines.load(Ordering::Relaxed);
    assert!(
        written <= 40,
        "a minute of failing Redis wrote {written} log lines"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_cannot_recover_exits_non_zero_for_its_supervisor() {
    let settings = test_settings(&[]).await;
    let health_port = free_port();
    let mut worker = worker_without_redis(&settings, health_port, 3);
    let status = wait_until("the worker to give up", Duration::from_secs(60), || {
        let status = worker.try_wait().expect("status");
        async move { status }
    })
    .await;
    assert!(!status.success(), "exit status {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ready_worker_says_so() {
    let settings = test_settings(&[]).await;
    let health_port = free_port();
    let mut worker = Command::new(env!("CARGO_BIN_EXE_comptoir-worker"))
        .args(["--queues", "system"])
        .envs(worker_env(&settings))
        .env(
            "COMPTOIR__WORKER__HEALTH_BIND",
            format!("127.0.0.1:{health_port}"),
        )
        .stdout(Stdio::null())
        .spawn()
        .expect("worker");
    let (status, body) = readiness(health_port, 200).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ready")));
    worker.kill().expect("stop");
    let _ = worker.wait();
}
