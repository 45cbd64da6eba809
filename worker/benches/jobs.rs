//! Job-system benchmark against the real services, beside BullMQ and graphile-worker on the same
//! Redis and PostgreSQL in the same run (see README "Benchmarks" and `bench/peers/`):
//!   1. drain: BENCH_DRAIN_JOBS no-op jobs (`system.ping.v1`) bulk-enqueued first, then one
//!      worker process (concurrency BENCH_CONCURRENCY) started; jobs/s from its start;
//!   2. enqueue: BENCH_ENQUEUE_JOBS jobs, each in its own transaction through `Producer`, with
//!      16 transactions in flight (and a relay pushing them, as in the API);
//!      Beside it, the floor: pgbench running the same transaction (`jobs/floor.rs`);
//!   3. latency: an idle worker, one job every 50 ms, BENCH_LATENCY_SAMPLES samples; ledger
//!      `started_at - created_at` (`created_at` is the enqueueing transaction's start);
//!   4. backlog (BENCH_BACKLOG_JOBS, 0 skips): a backlog drained, with Redis `used_memory`
//!      before, at its peak during the drain, and after.
//!
//! Run: `scripts/services.sh && COMPTOIR_ENV=test cargo bench -p comptoir-worker --bench jobs`
//! Each of BENCH_ROUNDS rounds (3) runs every system back to back; the summary gives the medians.
//! Long form: `BENCH_BACKLOG_JOBS=1000000 … --bench jobs`; `BENCH_PEERS=0` skips the peers.

#[path = "jobs/floor.rs"]
mod floor;
#[path = "jobs/peers.rs"]
mod peers;
#[path = "jobs/table.rs"]
mod table;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::{StreamExt, stream};
use serde_json::json;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use comptoir_domain::config::Settings;
use comptoir_jobs::system::Ping;
use comptoir_jobs::{Producer, RedisTransport, Relay};
use comptoir_testkit::bench::{env_number, percentile, pings_unfinished};
use comptoir_testkit::{test_settings, worker_env};

use table::Measured;

const IN_FLIGHT: usize = 16;
const LATENCY_GAP: Duration = Duration::from_millis(50);

fn worker_process(settings: &Settings) -> Child {
    let system = &settings.jobs.queues["system"];
    Command::new(env!("CARGO_BIN_EXE_comptoir-worker"))
        .args(["--queues", "system"])
        .envs(worker_env(settings))
        .env(
            "COMPTOIR__JOBS__QUEUES__SYSTEM__CONCURRENCY",
            system.concurrency.to_string(),
        )
        .env(
            "COMPTOIR__JOBS__QUEUES__SYSTEM__WINDOW",
            system.window().to_string(),
        )
        .env(
            "COMPTOIR__JOBS__QUEUES__SYSTEM__FETCH_BATCH",
            system.fetch_batch().to_string(),
        )
        .env(
            "COMPTOIR__JOBS__LEASE_SECS",
            settings.jobs.lease_secs.to_string(),
        )
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("worker binary")
}

fn stop(mut worker: Child) {
    let _ = worker.kill();
    let _ = worker.wait();
}

async fn pg_now(pool: &PgPool) -> DateTime<Utc> {
    sqlx::query_scalar("SELECT clock_timestamp()")
        .fetch_one(pool)
        .await
        .expect("clock")
}

async fn insert_pings(pool: &PgPool, jobs: usize) {
    sqlx::query(
        "INSERT INTO jobs (id, queue, kind, payload, max_attempts) \
         SELECT gen_random_uuid(), 'system', 'system.ping.v1', '{}'::jsonb, 3 FROM generate_series(1, $1)",
    )
    .bind(i32::try_from(jobs).unwrap_or(i32::MAX))
    .execute(pool)
    .await
    .expect("backlog");
}

/// Waits (polling twice a second, through the status index) until no ping is left unfinished;
/// returns when the last one finished.
async fn wait_all_succeeded(pool: &PgPool, jobs: usize, timeout: Duration) -> DateTime<Utc> {
    let deadline = Instant::now() + timeout;
    loop {
        if !pings_unfinished(pool).await {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the jobs did not drain in {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (done, last): (i64, DateTime<Utc>) = sqlx::query_as(
        "SELECT count(*), max(finished_at) FROM jobs WHERE kind = 'system.ping.v1' AND status = 'succeeded'",
    )
    .fetch_one(pool)
    .await
    .expect("last finish");
    assert_eq!(done, jobs as i64, "every job succeeded");
    last
}

async fn clean(pool: &PgPool) {
    sqlx::query("DELETE FROM jobs")
        .execute(pool)
        .await
        .expect("clean");
    sqlx::query("VACUUM ANALYZE jobs")
        .execute(pool)
        .await
        .expect("vacuum");
}

/// Jobs/s of one worker process draining `jobs` queued before it started (clock from spawn).
async fn drain(settings: &Settings, pool: &PgPool, jobs: usize) -> f64 {
    insert_pings(pool, jobs).await;
    sqlx::query("ANALYZE jobs")
        .execute(pool)
        .await
        .expect("analyze");
    let started = pg_now(pool).await;
    let worker = worker_process(settings);
    let finished = wait_all_succeeded(pool, jobs, Duration::from_secs(600)).await;
    stop(worker);
    clean(pool).await;
    jobs as f64 / (finished - started).as_seconds_f64()
}

/// One ping in its own transaction, as a business write enqueues its job.
async fn enqueue_one(pool: &PgPool, producer: &Producer) {
    let mut tx = pool.begin().await.expect("tx");
    producer
        .enqueue(&mut tx, &Ping::default())
        .await
        .expect("enqueue");
    producer.commit(tx).await.expect("commit");
}

/// Jobs/s through `Producer`: one transaction per job, IN_FLIGHT at once.
async fn enqueue(pool: &PgPool, producer: &Producer, jobs: usize) -> f64 {
    let started = Instant::now();
    stream::iter(0..jobs)
        .map(|_| enqueue_one(pool, producer))
        .buffer_unordered(IN_FLIGHT)
        .collect::<()>()
        .await;
    let per_second = jobs as f64 / started.elapsed().as_secs_f64();
    clean(pool).await;
    per_second
}

/// p50, p90, p99 of enqueue-to-start on an idle worker, in ms.
async fn latency(
    settings: &Settings,
    pool: &PgPool,
    producer: &Producer,
    samples: usize,
) -> [f64; 3] {
    let worker = worker_process(settings);
    // Warm-up: the worker is up and idle once its first job ran.
    enqueue_one(pool, producer).await;
    wait_all_succeeded(pool, 1, Duration::from_secs(30)).await;
    for _ in 0..samples {
        tokio::time::sleep(LATENCY_GAP).await;
        enqueue_one(pool, producer).await;
    }
    wait_all_succeeded(pool, samples + 1, Duration::from_secs(60)).await;
    stop(worker);
    let mut latencies: Vec<f64> = sqlx::query_scalar(
        "SELECT (EXTRACT(EPOCH FROM started_at - created_at) * 1000)::float8 FROM jobs \
         WHERE kind = 'system.ping.v1' ORDER BY created_at OFFSET 1",
    )
    .fetch_all(pool)
    .await
    .expect("latencies");
    latencies.sort_by(f64::total_cmp);
    clean(pool).await;
    [0.5, 0.9, 0.99].map(|p| percentile(&latencies, p))
}

/// Drains a backlog of `jobs`, sampling Redis memory; prints the figures.
async fn backlog(settings: &Settings, pool: &PgPool, transport: &RedisTransport, jobs: usize) {
    let before = transport.used_memory().await.expect("redis memory");
    let inserted = Instant::now();
    insert_pings(pool, jobs).await;
    println!(
        "backlog: {jobs} jobs inserted in {:.1} s",
        inserted.elapsed().as_secs_f64()
    );
    let started = pg_now(pool).await;
    let worker = worker_process(settings);
    let sampling = CancellationToken::new();
    let sampler = {
        let (transport, sampling) = (transport.clone(), sampling.clone());
        tokio::spawn(async move {
            let mut peak = 0;
            while !sampling.is_cancelled() {
                peak = peak.max(transport.used_memory().await.unwrap_or(0));
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            peak
        })
    };
    let finished = wait_all_succeeded(pool, jobs, Duration::from_secs(3600)).await;
    sampling.cancel();
    let peak = sampler.await.expect("sampler");
    stop(worker);
    let after = transport.used_memory().await.expect("redis memory");
    let secs = (finished - started).as_seconds_f64();
    let mib = |bytes: u64| bytes as f64 / 1_048_576.0;
    println!(
        "backlog: {jobs} jobs drained in {secs:.1} s ({:.0} jobs/s); Redis used_memory {:.2} MiB before, {:.2} MiB peak, {:.2} MiB after",
        jobs as f64 / secs,
        mib(before),
        mib(peak),
        mib(after)
    );
    clean(pool).await;
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` probes; nothing to list
    }
    let drain_jobs = env_number("BENCH_DRAIN_JOBS", 20_000);
    let enqueue_jobs = env_number("BENCH_ENQUEUE_JOBS", 5_000);
    let samples = env_number("BENCH_LATENCY_SAMPLES", 100);
    let concurrency = env_number("BENCH_CONCURRENCY", 32);
    let backlog_jobs = env_number("BENCH_BACKLOG_JOBS", 0);
    let overrides = [
        ("jobs.queues.system.concurrency", json!(concurrency)),
        (
            "jobs.queues.system.fetch_batch",
            // The `system` queue's own setting (config/default.toml) unless given.
            json!(env_number("BENCH_FETCH_BATCH", 256)),
        ),
        ("database.max_connections", json!(20)),
        // The default sweep (1 s): latency must come from the post-commit wake-up.
        ("jobs.relay_interval_ms", json!(1000)),
        ("jobs.lease_secs", json!(60)),
    ];
    let settings = test_settings(&overrides).await;
    let pool = comptoir_domain::db::pool(&settings.database).expect("pool");
    comptoir_domain::db::migrate(&pool)
        .await
        .expect("migrations");
    // Jobs enqueued by the bench are pushed as the API pushes its own: by a relay woken by the
    // producer's commit.
    let producer = Producer::new(&settings);
    let transport = RedisTransport::new(&settings.redis).expect("redis url");
    let relay = Relay::new(
        comptoir_domain::db::ledger_pool(&settings.database).expect("ledger pool"),
        transport.clone(),
        &settings.jobs,
        producer.kicker(),
    );
    tokio::spawn(relay.run(CancellationToken::new()));
    println!(
        "comptoir job-system benchmark ({} cores): drain {drain_jobs} jobs, enqueue {enqueue_jobs}, {samples} latency samples, concurrency {concurrency}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let peers = env_number("BENCH_PEERS", 1) == 1 && peers::install();
    let peer_env = [
        ("REDIS_URL", settings.redis.url.expose().to_owned()),
        ("DATABASE_URL", comptoir_testkit::db::admin_url()),
        ("BENCH_DRAIN_JOBS", drain_jobs.to_string()),
        ("BENCH_CONCURRENCY", concurrency.to_string()),
        ("BENCH_ENQUEUE_JOBS", enqueue_jobs.to_string()),
        ("BENCH_ENQUEUE_IN_FLIGHT", IN_FLIGHT.to_string()),
        ("BENCH_LATENCY_SAMPLES", samples.to_string()),
        ("BENCH_LATENCY_GAP_MS", LATENCY_GAP.as_millis().to_string()),
    ];
    let rounds = env_number("BENCH_ROUNDS", 3).max(1);
    let mut results = Vec::new();
    let mut floors = Vec::new();
    for round in 1..=rounds {
        let mut measured = vec![Measured {
            system: "comptoir".to_owned(),
            drain_jobs_per_s: drain(&settings, &pool, drain_jobs).await,
            enqueue_jobs_per_s: enqueue(&pool, &producer, enqueue_jobs).await,
            latency_ms: latency(&settings, &pool, &producer, samples).await,
        }];
        let floor = floor::pgbench_enqueue(settings.database.url.expose(), IN_FLIGHT, 5);
        clean(&pool).await;
        if peers {
            measured.extend(
                ["bullmq.mjs", "graphile.mjs"]
                    .iter()
                    .filter_map(|script| peers::run(script, &peer_env)),
            );
        }
        table::print_round(round, &measured, floor);
        results.push(measured);
        floors.push(floor);
    }
    table::print_summary(
        rounds,
        &table::medians(&results),
        table::median_floor(&floors),
    );
    if backlog_jobs > 0 {
        backlog(&settings, &pool, &transport, backlog_jobs).await;
    }
}
