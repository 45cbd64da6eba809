//! `GET /v1/admin/queues` over a large ledger (see README "Benchmarks"): BENCH_LEDGER_ROWS jobs
//! (default 10 000 000) over 9 queues, as a busy week leaves them: nearly all succeeded over
//! 7 days (about 100 an hour's worth per second in the last hour), plus 50 000 queued, 1 000
//! dead, 500 retrying and 200 running. Then the figures are asked for 30 times, one at a time.
//!
//! Run: `scripts/services.sh && COMPTOIR_ENV=test cargo bench -p comptoir-api --bench queues`

use std::time::Instant;

use serde_json::{Value, json};

use comptoir_domain::types::Role;
use comptoir_testkit::bench::{env_number, percentile};
use comptoir_testkit::{TestApp, test_settings};

const QUEUES: &str = "ARRAY['email','imports','maintenance','notifications','payments','images','reports','sms','system']";

/// Inserts `rows` jobs of `status`, finished (when they are) up to `spread_secs` ago.
async fn seed(app: &TestApp, rows: usize, status: &str, spread_secs: i64) {
    let sql = format!(
        "INSERT INTO jobs (id, queue, kind, payload, status, max_attempts, attempts, run_at, created_at, \
           started_at, finished_at, relayed_at, last_error) \
         SELECT gen_random_uuid(), q, q || '.bench.v1', '{{}}', $1, 5, 1, t, t, \
           CASE WHEN $1 <> 'queued' THEN t END, \
           CASE WHEN $1 IN ('succeeded', 'dead') THEN t + (random() * interval '2 seconds') END, \
           t, CASE WHEN $1 = 'dead' THEN 'bench failure' END \
         FROM (SELECT ({QUEUES})[1 + n % 9] AS q, \
                      now() - make_interval(secs => random() * $2) AS t \
               FROM generate_series(1, $3) AS n) AS s"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(status)
        .bind(spread_secs as f64)
        .bind(rows as i64)
        .execute(&app.pool)
        .await
        .expect("seed");
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rows = env_number("BENCH_LEDGER_ROWS", 10_000_000);
    let settings = test_settings(&[("server.workers", json!(2))]).await;
    let app = TestApp::spawn(settings).await;
    let started = Instant::now();
    let last_hour = 360_000.min(rows / 10);
    let open = 51_700;
    let week = rows.saturating_sub(last_hour + open);
    // In chunks, so one statement's memory stays small.
    let mut left = week;
    while left > 0 {
        let chunk = left.min(1_000_000);
        seed(&app, chunk, "succeeded", 7 * 86_400).await;
        left -= chunk;
    }
    seed(&app, last_hour, "succeeded", 3_600).await;
    seed(&app, 50_000, "queued", 600).await;
    seed(&app, 1_000, "dead", 3_000).await;
    seed(&app, 500, "retrying", 60).await;
    seed(&app, 200, "running", 60).await;
    sqlx::query("VACUUM ANALYZE jobs")
        .execute(&app.pool)
        .await
        .expect("vacuum");
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    println!(
        "ledger: {total} jobs seeded in {:.0} s",
        started.elapsed().as_secs_f64()
    );

    // Signed in after the seeding, which can outlast an access token.
    let (_, admin) = app.user_with_role(Role::Superadmin).await;
    let url = format!("{}/v1/admin/queues", app.address);
    let mut latencies = Vec::new();
    let mut last = Value::Null;
    for _ in 0..30 {
        let sent = Instant::now();
        let response = app
            .client
            .get(&url)
            .bearer_auth(&admin)
            .send()
            .await
            .expect("response");
        assert_eq!(response.status(), 200);
        last = response.json().await.expect("json");
        latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
    }
    latencies.sort_by(f64::total_cmp);
    println!(
        "GET /v1/admin/queues at {total} ledger rows: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or_default()
    );
    println!(
        "{}",
        serde_json::to_string_pretty(&last["items"][0]).unwrap_or_default()
    );
}
