//! Job metrics as Prometheus sees them, with a real worker process: the worker's counters and
//! run-time histogram for jobs that succeed, fail and retry, go dead and fail permanently; the
//! API's ledger gauges against the ledger itself; the dashboard and alert rules against what
//! the processes export; and promtool on the rules and their unit tests.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use comptoir_domain::config::Settings;
use comptoir_domain::ledger::{self, NewJob};
use comptoir_domain::types::Role;
use comptoir_domain::worker_processes;
use comptoir_jobs::Producer;
use comptoir_jobs::email::SendEmail;
use comptoir_jobs::imports::RunImport;
use comptoir_jobs::system::Ping;
use comptoir_jobs::{Job, queues};
use comptoir_testkit::metrics::{Scrape, scrape};
use comptoir_testkit::{TestApp, test_settings, wait_until};
use support::{free_port, spawn_worker_process, wait_for_status};

const WAIT: Duration = Duration::from_secs(30);
const UNKNOWN_KIND: &str = "system.from_a_newer_version.v1";

/// Settings whose worker health endpoint (and so its /metrics) is on a known port.
async fn settings_with_worker_port(overrides: &[(&str, Value)]) -> Settings {
    let bind = json!(format!("127.0.0.1:{}", free_port()));
    let mut all = vec![("worker.health_bind", bind)];
    all.extend(overrides.iter().cloned());
    test_settings(&all).await
}

fn worker_metrics(settings: &Settings) -> String {
    format!("http://{}/metrics", settings.worker.health_bind)
}

fn api_metrics(app: &TestApp) -> String {
    format!("{}/metrics", app.metrics_address)
}

async fn enqueue_pings(app: &TestApp, count: usize) -> Vec<uuid::Uuid> {
    let producer = Producer::new(&app.settings);
    let mut tx = app.pool.begin().await.expect("tx");
    let mut ids = Vec::new();
    for _ in 0..count {
        ids.push(producer.enqueue(&mut tx, &Ping {}).await.expect("enqueue"));
    }
    producer.commit(tx).await.expect("commit");
    ids
}

/// A job written straight to the ledger, as a newer API or a broken client could leave one.
async fn insert_raw(app: &TestApp, queue: &str, kind: &str, payload: Value) -> uuid::Uuid {
    ledger::insert(
        &app.pool,
        NewJob {
            queue,
            kind,
            payload,
            max_attempts: 2,
            unique_key: None,
        },
    )
    .await
    .expect("insert")
    .expect("a new job")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_counts_its_runs_and_the_api_gauges_match_the_ledger() {
    let settings = settings_with_worker_port(&[]).await;
    let app = TestApp::spawn(settings.clone()).await;
    let mut worker = spawn_worker_process(&settings, "system,email");

    let pings = enqueue_pings(&app, 3).await;
    // Unknown to this worker: retried once, then dead (max_attempts 2).
    let unknown = insert_raw(&app, queues::SYSTEM, UNKNOWN_KIND, json!({})).await;
    // A payload that does not decode: a permanent failure.
    let garbled = insert_raw(&app, queues::EMAIL, SendEmail::KIND, json!({"to": 7})).await;
    for id in &pings {
        wait_for_status(&app.pool, *id, "succeeded", WAIT).await;
    }
    wait_for_status(&app.pool, unknown, "dead", WAIT).await;
    wait_for_status(&app.pool, garbled, "failed", WAIT).await;

    // Outcomes are counted before the claim book records them, so the scrape has them all.
    let runs = scrape(&worker_metrics(&settings)).await;
    let ping = [("queue", "system"), ("kind", Ping::KIND)];
    let other = [("queue", "system"), ("kind", "other")];
    let email = [("queue", "email"), ("kind", SendEmail::KIND)];
    assert_eq!(runs.sum("comptoir_jobs_started_total", &ping), 3.0);
    assert_eq!(runs.sum("comptoir_jobs_succeeded_total", &ping), 3.0);
    assert_eq!(runs.sum("comptoir_jobs_retried_total", &ping), 0.0);
    assert_eq!(runs.sum("comptoir_jobs_started_total", &other), 2.0);
    assert_eq!(runs.sum("comptoir_jobs_failed_total", &other), 1.0);
    assert_eq!(runs.sum("comptoir_jobs_retried_total", &other), 1.0);
    assert_eq!(runs.sum("comptoir_jobs_dead_total", &other), 1.0);
    assert_eq!(
        runs.sum("comptoir_jobs_failed_permanently_total", &email),
        1.0
    );
    assert_eq!(runs.sum("comptoir_jobs_succeeded_total", &email), 0.0);
    let histogram = "comptoir_job_run_duration_seconds";
    assert_eq!(runs.sum(&format!("{histogram}_count"), &ping), 3.0);
    assert_eq!(runs.sum(&format!("{histogram}_count"), &other), 2.0);
    let mut all_ping_buckets = ping.to_vec();
    all_ping_buckets.push(("le", "+Inf"));
    assert_eq!(
        runs.sum(&format!("{histogram}_bucket"), &all_ping_buckets),
        3.0
    );
    let mut slowest_bucket = ping.to_vec();
    slowest_bucket.push(("le", "600"));
    assert!(runs.has(&format!("{histogram}_bucket"), &slowest_bucket));
    assert!(
        !runs.has("comptoir_jobs_started_total", &[("kind", UNKNOWN_KIND)]),
        "an unknown kind is never a label value"
    );

    // The API's process produced the pings (other tests of this binary may add theirs).
    let api = scrape(&api_metrics(&app)).await;
    assert!(api.sum("comptoir_jobs_enqueued_total", &ping) >= 3.0);

    // A backlog on a queue nobody serves: the window fills, the rest waits in the outbox.
    let window = settings
        .jobs
        .windows()
        .into_iter()
        .find_map(|(queue, window)| (queue == queues::IMPORTS).then_some(window))
        .expect("the imports window");
    for _ in 0..window + 3 {
        insert_raw(&app, queues::IMPORTS, RunImport::KIND, json!({})).await;
    }
    let imports = [("queue", "imports")];
    let gauges = wait_until("the relay to fill the imports window", WAIT, || async {
        let gauges = scrape(&api_metrics(&app)).await;
        let filled = gauges.sum("comptoir_relay_window_messages", &imports) == window as f64
            && gauges.sum("comptoir_relay_backlog_jobs", &imports) == 3.0;
        filled.then_some(gauges)
    })
    .await;
    assert_eq!(
        gauges.sum("comptoir_relay_window_size_messages", &imports),
        window as f64
    );

    // An admin cancels one queued job: the API counts it.
    let (_, admin) = app.user_with_role(Role::Superadmin).await;
    let queued: uuid::Uuid = sqlx::query_scalar(
        "SELECT id FROM jobs WHERE queue = 'imports' AND status = 'queued' LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .expect("a queued import job");
    let cancel = format!("/v1/admin/jobs/{queued}/cancel");
    assert_eq!(
        app.post(&cancel, Some(&admin), json!({})).await.status(),
        200
    );

    wait_until("the gauges to match the ledger", WAIT, || async {
        let gauges = scrape(&api_metrics(&app)).await;
        gauges_match_ledger(&app, &gauges).await.then_some(())
    })
    .await;
    let gauges = scrape(&api_metrics(&app)).await;
    let import = [("queue", "imports"), ("kind", RunImport::KIND)];
    assert!(gauges.sum("comptoir_jobs_cancelled_total", &import) >= 1.0);
    assert_eq!(
        gauges.sum(
            "comptoir_queue_jobs",
            &[("queue", "system"), ("status", "dead")]
        ),
        1.0
    );
    assert_eq!(
        gauges.sum(
            "comptoir_worker_processes",
            &[("queue", "system"), ("state", "live")]
        ),
        1.0
    );
    assert_eq!(
        gauges.sum(
            "comptoir_worker_processes",
            &[("queue", "imports"), ("state", "live")]
        ),
        0.0,
        "the zero is exported, so an alert can see it"
    );
    assert_eq!(
        gauges.sum("comptoir_job_gauges_source_up", &[]),
        2.0,
        "postgres and redis"
    );
    worker.kill().expect("cleanup");
    let _ = worker.wait();
}

/// Depth, oldest age and liveness on the scrape are what the ledger says now (the age within
/// the gauges' cache time).
async fn gauges_match_ledger(app: &TestApp, gauges: &Scrape) -> bool {
    let figures = ledger::queue_figures(&app.pool, queues::ALL)
        .await
        .expect("figures");
    let depth_matches = figures.iter().all(|f| {
        let depth = |status| {
            gauges.sum(
                "comptoir_queue_jobs",
                &[("queue", &f.queue), ("status", status)],
            )
        };
        let age = gauges.sum(
            "comptoir_queue_oldest_queued_age_seconds",
            &[("queue", &f.queue)],
        );
        depth("queued") == f.queued as f64
            && depth("running") == f.running as f64
            && depth("retrying") == f.retrying as f64
            && depth("dead") == f.dead as f64
            && (age - f.oldest_queued_age_secs).abs() <= 6.0
    });
    let gone_after = app.settings.worker.gone_after_secs;
    let processes = worker_processes::list(&app.pool, gone_after, 24 * 3600)
        .await
        .expect("workers");
    let liveness_matches = queues::ALL.iter().all(|queue| {
        ["live", "gone", "stopped"].iter().all(|state| {
            let listed = processes
                .iter()
                .filter(|p| p.state == *state && p.queues.get(*queue).is_some())
                .count();
            gauges.sum(
                "comptoir_worker_processes",
                &[("queue", queue), ("state", state)],
            ) == listed as f64
        })
    });
    depth_matches && liveness_matches
}

fn deploy(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy")
        .join(path)
}

/// Metric names in PromQL: identifiers outside quotes that name one of ours.
fn metric_names(promql: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut outside_quotes = String::new();
    for (index, piece) in promql.split('"').enumerate() {
        if index % 2 == 0 {
            outside_quotes.push_str(piece);
            outside_quotes.push(' ');
        }
    }
    for word in outside_quotes.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if word.starts_with("comptoir_") || word.starts_with("http_") {
            names.insert(word.to_owned());
        }
    }
    names
}

/// Every `expr` (and templating `query`) string in the dashboard.
fn dashboard_queries(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields {
                match (key.as_str(), field) {
                    ("expr", Value::String(expr)) => found.push(expr.clone()),
                    ("query", Value::String(query)) => found.push(query.clone()),
                    ("query", Value::Object(query)) => {
                        if let Some(Value::String(query)) = query.get("query") {
                            found.push(query.clone());
                        }
                    }
                    _ => dashboard_queries(field, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| dashboard_queries(item, found)),
        _ => {}
    }
}

fn alert_exprs() -> Vec<String> {
    let text = std::fs::read_to_string(deploy("prometheus/alerts.yml")).expect("alerts.yml");
    let rules: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).expect("YAML");
    rules["groups"]
        .as_sequence()
        .expect("groups")
        .iter()
        .flat_map(|group| group["rules"].as_sequence().expect("rules").iter())
        .map(|rule| rule["expr"].as_str().expect("an expr").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_and_alerts_use_only_exported_metrics() {
    let settings = settings_with_worker_port(&[]).await;
    let app = TestApp::spawn(settings.clone()).await;
    let mut worker = spawn_worker_process(&settings, "system");
    let ping = enqueue_pings(&app, 1).await[0];
    wait_for_status(&app.pool, ping, "succeeded", WAIT).await;
    assert_eq!(app.get("/health/live", None).await.status(), 200);

    let worker_scrape = scrape(&worker_metrics(&settings)).await;
    let api_scrape = scrape(&api_metrics(&app)).await;
    let exported: BTreeSet<String> = worker_scrape
        .sample_names()
        .into_iter()
        .chain(api_scrape.sample_names())
        .collect();

    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(deploy("grafana/comptoir-jobs.json")).expect("dashboard"),
    )
    .expect("dashboard JSON");
    let mut queries = Vec::new();
    dashboard_queries(&dashboard, &mut queries);
    let alerts = alert_exprs();
    assert!(
        queries.len() >= 10 && alerts.len() >= 4,
        "{queries:?} {alerts:?}"
    );
    let used: BTreeSet<String> = queries
        .iter()
        .chain(&alerts)
        .flat_map(|query| metric_names(query))
        .collect();
    let unknown: Vec<&String> = used.difference(&exported).collect();
    assert!(unknown.is_empty(), "not exported: {unknown:?}");

    // And the other way round: every job metric family is on the dashboard or in an alert.
    let families = worker_scrape
        .families()
        .iter()
        .chain(api_scrape.families())
        .filter(|family| family.starts_with("comptoir_"));
    for family in families {
        assert!(
            used.iter().any(|name| name.starts_with(family.as_str())),
            "{family} is exported but neither charted nor alerted on"
        );
    }
    worker.kill().expect("cleanup");
    let _ = worker.wait();
}

#[test]
fn promtool_accepts_the_rules_the_config_and_the_rule_tests() {
    let dir = deploy("prometheus");
    for args in [
        vec!["check", "rules", "alerts.yml"],
        vec!["test", "rules", "alerts_test.yml"],
        vec!["check", "config", "prometheus.yml"],
    ] {
        let output = Command::new("promtool")
            .args(&args)
            .current_dir(&dir)
            .output()
            .expect("promtool is installed (scripts/services.sh installs it)");
        assert!(
            output.status.success(),
            "promtool {args:?}:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
