//! Chaos suite: a mixed load (emails, a notification fan-out, bulk imports, reports and many
//! no-op jobs) runs across three real `comptoir-worker` processes while the harness SIGKILLs a
//! random worker every 1-3 s (replacing it), restarts Redis twice (once keeping its data, once
//! empty) and stops PostgreSQL for 10 s. Then every worker gets SIGTERM and must exit 0.
//!
//! It asserts that every job ended `succeeded`, that every effect happened exactly once, and
//! that the API answered 503 (never 500) while PostgreSQL was down and recovered by itself. It
//! prints one table of figures whatever the outcome.
//!
//! PostgreSQL, Redis and the SMTP sink are private to the run (see `comptoir_testkit::chaos`):
//! the machine's services serve the other tests. Sizes: `CHAOS_KILLS` (default 10) and
//! `CHAOS_PINGS` (default 20000); `CHAOS_SEED` replays a schedule; `scripts/chaos.sh` runs the
//! long form (100 kills).

#[path = "support/chaos_load.rs"]
mod chaos_load;
#[path = "support/chaos_steps.rs"]
mod chaos_steps;
#[path = "support/chaos_verify.rs"]
mod chaos_verify;
mod support;

use std::process::ExitStatus;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use comptoir_domain::config::Settings;
use comptoir_testkit::chaos::faults::FaultLog;
use comptoir_testkit::chaos::fleet::supervise;
use comptoir_testkit::chaos::ledger;
use comptoir_testkit::chaos::probe::{self, Probe};
use comptoir_testkit::chaos::{
    Dice, Figures, Fleet, FleetSpec, PrivatePostgres, PrivateRedis, RunDir, SmtpSink, env_or,
    unix_now,
};
use comptoir_testkit::{TestApp, test_settings, worker_env};

use chaos_load::Sizes;
use chaos_steps::{Chaos, KILL_GAP, WORKERS};

/// Longest drain after SIGTERM (the workers' shutdown_timeout_secs is 30).
const DRAIN: Duration = Duration::from_secs(45);

/// The run's settings: test configuration on the private services. Attempt budgets are raised
/// to 10 so that a job's attempts spent by SIGKILLs (each kill costs the jobs in flight one)
/// cannot exhaust it: a `dead` job here would be the budget working, not a lost job.
async fn chaos_settings(pg: &PrivatePostgres, redis: &PrivateRedis, sink: &SmtpSink) -> Settings {
    let mut overrides = vec![
        ("database.url", json!(pg.url("comptoir"))),
        ("redis.url", json!(redis.url())),
        ("smtp.port", json!(sink.port())),
        // Imports commit every 50 rows, so a kill can land between batches.
        ("imports.batch_rows", json!(50)),
    ];
    for key in ATTEMPT_KEYS {
        overrides.push((key, json!(10)));
    }
    test_settings(&overrides).await
}

const ATTEMPT_KEYS: [&str; 4] = [
    "jobs.queues.email.max_attempts",
    "jobs.queues.imports.max_attempts",
    "jobs.queues.notifications.max_attempts",
    "jobs.queues.reports.max_attempts",
];

/// Every configured queue but `images` (nothing here uploads images, and clamd is not among
/// the private services).
fn fleet_spec(settings: &Settings, dir: &RunDir) -> FleetSpec {
    let queues: Vec<&str> = settings
        .worker
        .queues
        .iter()
        .map(String::as_str)
        .filter(|queue| *queue != "images")
        .collect();
    assert!(
        queues.contains(&"system"),
        "the `system` queue (system.ping.v1) is configured and served: {queues:?}"
    );
    let mut env = worker_env(settings);
    for key in ATTEMPT_KEYS {
        let var = format!("COMPTOIR__{}", key.to_ascii_uppercase().replace('.', "__"));
        env.push((var, "10".to_owned()));
    }
    FleetSpec {
        program: env!("CARGO_BIN_EXE_comptoir-worker").into(),
        args: vec!["--queues".into(), queues.join(",")],
        env,
        log_dir: dir.logs(),
    }
}

/// Verifies the effects, prints the figures, then asserts.
async fn finish(
    chaos: Chaos,
    sink: &SmtpSink,
    settled: bool,
    drain: &[(usize, Option<ExitStatus>)],
    chaos_started: f64,
    started: Instant,
) {
    let Chaos {
        app,
        load,
        fleet,
        faults,
        mut figures,
        outage_answers,
        findings,
        pings_enqueued,
        ..
    } = chaos;
    let verdict = chaos_verify::verify(&app, &load, pings_enqueued, &sink.messages()).await;
    ledger::read_figures(&app.pool, &faults, chaos_started, &mut figures)
        .await
        .expect("figures from the ledger");
    let exits = {
        let fleet = fleet.lock().expect("fleet");
        figures.kills = fleet.kills();
        figures.worker_starts = fleet.started();
        figures.worker_exits = fleet.exits().len();
        fleet.exits().to_vec()
    };
    figures.api_during_outage = probe::tally(&outage_answers);
    figures.lost = verdict.lost;
    figures.duplicated = verdict.duplicated;
    figures.resent_after_kill = verdict.resent_after_kill;
    figures.drain = ledger::describe_drain(drain);
    figures.duration = started.elapsed();
    let wrong_answers = probe::wrong(&outage_answers);
    println!("{figures}");
    for line in verdict.notes.iter().chain(&wrong_answers).chain(&findings) {
        println!("  - {line}");
    }
    for exit in &exits {
        println!(
            "  - worker #{} exited on its own: {}",
            exit.serial, exit.status
        );
    }

    assert!(
        settled,
        "every job ended (succeeded, failed or dead) within the settle time"
    );
    assert!(
        verdict.is_clean(),
        "every effect happened exactly once: {:#?}",
        verdict.notes
    );
    assert!(
        !outage_answers.is_empty(),
        "the API was asked during the PostgreSQL outage"
    );
    assert!(
        wrong_answers.is_empty(),
        "503 problem+json while PostgreSQL is down: {wrong_answers:#?}"
    );
    assert!(
        findings.is_empty(),
        "the API served the chaos: {findings:#?}"
    );
    assert!(
        faults.kills_mid_job() * 2 >= figures.kills,
        "most kills hit a worker mid-job (fewer means the load was too light to test anything): {:?}",
        figures.exposure
    );
    assert!(
        drain
            .iter()
            .all(|(_, status)| status.is_some_and(|s| s.success())),
        "every worker drained and exited 0 after SIGTERM: {}",
        figures.drain
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_mixed_load_survives_kills_and_outages() {
    let started = Instant::now();
    let kills: usize = env_or("CHAOS_KILLS", 10);
    let pings: usize = env_or("CHAOS_PINGS", 20_000);
    let dir = RunDir::create();
    let pg = PrivatePostgres::start(&dir)
        .await
        .expect("a private PostgreSQL");
    pg.create_database("comptoir").await.expect("its database");
    let redis = PrivateRedis::start(&dir).await.expect("a private Redis");
    let sink = SmtpSink::start().await.expect("an SMTP sink");
    let settings = chaos_settings(&pg, &redis, &sink).await;
    let spec = fleet_spec(&settings, &dir);
    let app = TestApp::spawn(settings).await;
    let sizes = Sizes {
        members: 30,
        direct_emails: 200,
        imports: 3,
        import_rows: 300,
    };
    let load = chaos_load::prepare(&app, sizes).await;

    let fleet = Arc::new(Mutex::new(Fleet::start(spec, WORKERS)));
    let supervisor = supervise(fleet.clone(), Duration::from_millis(500));
    let dice = Dice::from_env();
    let mut chaos = Chaos {
        probe: Probe::new(&app.address, Duration::from_secs(20)),
        figures: Figures {
            seed: dice.seed(),
            ..Figures::default()
        },
        app,
        load,
        pg,
        redis,
        fleet: fleet.clone(),
        faults: FaultLog::default(),
        dice,
        outage_answers: Vec::new(),
        findings: Vec::new(),
        pings_enqueued: 0,
    };
    chaos_load::submit(&chaos.app, &mut chaos.load).await;
    let wave = pings / (kills + 1);
    chaos.enqueue_pings(pings - wave * kills).await;
    let chaos_started = unix_now();
    let steps = kills.max(3);
    for step in 0..steps {
        if step < kills {
            let pause = chaos.dice.between(KILL_GAP.0, KILL_GAP.1);
            tokio::time::sleep(pause).await;
            chaos.enqueue_pings(wave).await;
            chaos.register("during the chaos").await;
            chaos.kill_one().await;
        }
        chaos.planned_fault(step, steps).await;
    }

    let settled = ledger::settle(
        &chaos.app.pool,
        Duration::from_secs(env_or("CHAOS_SETTLE_SECS", 150)),
    )
    .await;
    // Stop replacing workers, then ask them all to drain.
    supervisor.abort();
    let draining = fleet.lock().expect("fleet").terminate();
    let drain = draining.wait(DRAIN).await;
    finish(chaos, &sink, settled, &drain, chaos_started, started).await;
}
