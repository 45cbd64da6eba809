//! SMS benchmark (see README "Benchmarks"), one worker process on the `sms` and
//! `notifications` queues, the in-process sandbox as Africa's Talking (delivery reports posted
//! back to the API, as in production):
//! - latency: a one-time code asked for through `POST /v1/auth/otp/send` until the text is at
//!   the provider (the sandbox's receipt time), BENCH_OTP_SAMPLES codes one after another;
//! - throughput: an SMS notification to BENCH_SMS verified phones, texts/s from the worker's
//!   start until every message is recorded as sent.
//!
//! Run: `scripts/services.sh && COMPTOIR_ENV=test cargo bench -p comptoir-worker --bench sms`

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use comptoir_domain::config::Settings;
use comptoir_domain::types::Role;
use comptoir_sandbox::{Sandbox, Settings as SandboxSettings};
use comptoir_testkit::bench::{self, env_number, percentile};
use comptoir_testkit::{TestApp, test_settings, wait_until, worker_env};

const USERNAME: &str = "bench";
const API_KEY: &str = "at-bench-key";

fn worker(settings: &Settings) -> Child {
    Command::new(env!("CARGO_BIN_EXE_comptoir-worker"))
        .args(["--queues", "sms,notifications"])
        .envs(worker_env(settings))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("worker binary")
}

/// Milliseconds from `asked` to the code's arrival at the sandbox.
async fn code_latency(app: &TestApp, sandbox: &str, phone: &str) -> f64 {
    let asked = Utc::now();
    let sent = app
        .post(
            "/v1/auth/otp/send",
            None,
            json!({"phone": phone, "purpose": "login"}),
        )
        .await;
    assert_eq!(sent.status(), 202);
    let arrived: DateTime<Utc> = wait_until("the code", Duration::from_secs(30), || async {
        let texts: Vec<Value> = app
            .client
            .get(format!("{sandbox}/sandbox/sms"))
            .query(&[("to", phone)])
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        texts.first()?["received_at"].as_str()?.parse().ok()
    })
    .await;
    (arrived - asked).num_microseconds().unwrap_or(0) as f64 / 1000.0
}

const SENT: &str = "SELECT count(*) FROM sms_messages WHERE purpose = 'notification' \
    AND status IN ('sent', 'delivered')";

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let samples = env_number("BENCH_OTP_SAMPLES", 200);
    let count = env_number("BENCH_SMS", 5_000);
    let settings = test_settings(&[
        ("database.max_connections", json!(20)),
        ("sms.routes", json!({"*": "africastalking"})),
        ("sms.africastalking.username", json!(USERNAME)),
        ("sms.africastalking.api_key", json!(API_KEY)),
        ("otp.max_sends_per_ip_per_hour", json!(1_000_000)),
    ])
    .await;
    let app = TestApp::spawn(settings.clone()).await;
    let sandbox = Sandbox::build(SandboxSettings {
        bind: "127.0.0.1:0".into(),
        africastalking_username: USERNAME.into(),
        africastalking_api_key: API_KEY.into(),
        africastalking_dlr_url: Some(format!("{}/v1/webhooks/sms/africastalking", app.address)),
        ..SandboxSettings::default()
    })
    .expect("the sandbox starts");
    let sandbox_url = format!("http://127.0.0.1:{}", sandbox.port());
    tokio::spawn(sandbox.run_until_stopped());
    let mut worker_settings = app.settings.clone();
    worker_settings.sms.africastalking.api_base = sandbox_url.clone();

    app.phone_clients(1, samples, true).await;
    let mut process = worker(&worker_settings);
    let mut latencies = Vec::with_capacity(samples);
    for n in 1..=samples {
        let phone = format!("+2289{n:07}");
        latencies.push(code_latency(&app, &sandbox_url, &phone).await);
    }
    latencies.sort_by(f64::total_cmp);
    let _ = process.kill();
    let _ = process.wait();

    app.phone_clients(samples + 1, count, true).await;
    let (_, admin) = app.user_with_role(Role::Maintainer).await;
    let posted = app
        .post(
            "/v1/notifications",
            Some(&admin),
            json!({"role": "client", "channel": "sms", "body": "Marché de Noël samedi : -20 % sur tout."}),
        )
        .await;
    assert_eq!(posted.status(), 202);
    let started = Instant::now();
    let mut process = worker(&worker_settings);
    let total = count + samples;
    wait_until("every text sent", Duration::from_secs(900), || async {
        (bench::count(&app.pool, SENT).await >= total).then_some(())
    })
    .await;
    let rate = total as f64 / started.elapsed().as_secs_f64();
    let _ = process.kill();
    let _ = process.wait();

    println!(
        "SMS: one worker process (sms queue, concurrency {}), the sandbox as Africa's Talking\n",
        settings.jobs.queues.get("sms").map_or(0, |q| q.concurrency)
    );
    println!("| measure | value |\n|---|---|");
    println!(
        "| one-time code, ask → at the provider ({samples} codes) | p50 {:.1} ms, p99 {:.1} ms |",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );
    println!("| notification to {total} phones (fan-out + sends), texts/s | {rate:.0} |");
}
