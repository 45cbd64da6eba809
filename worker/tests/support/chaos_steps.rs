//! The fault steps of a chaos run (`chaos.rs`): kill a worker mid-job, restart Redis keeping
//! or losing its data, stop PostgreSQL while asking the API, each recorded in the fault log
//! with the jobs it exposed.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use comptoir_testkit::chaos::faults::{FaultKind, FaultLog};
use comptoir_testkit::chaos::probe::{Answer, Expect, Probe, Request};
use comptoir_testkit::chaos::{Dice, Figures, Fleet, PrivatePostgres, PrivateRedis, ledger};
use comptoir_testkit::{TestApp, wait_until};

use crate::chaos_load::{self, Load};

/// Worker processes in the fleet.
pub const WORKERS: usize = 3;
/// How long to wait between two kills (a random pause in this range).
pub const KILL_GAP: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(3));
/// Longest wait for the chosen victim to hold a running job before it is killed anyway.
const MID_JOB: Duration = Duration::from_secs(5);
const PG_DOWNTIME: Duration = Duration::from_secs(10);
const REDIS_DOWNTIME: Duration = Duration::from_secs(2);
/// Longest wait for the API to answer again once PostgreSQL is back.
const API_RECOVERY: Duration = Duration::from_secs(60);

/// What the API must answer while PostgreSQL is down: readiness says 503, and every request
/// that needs the database gets a 503 problem+json `service_unavailable` (never a 500).
fn outage_requests(load: &Load) -> Vec<Request> {
    let unavailable = Expect::Problem {
        status: 503,
        code: "service_unavailable",
    };
    let request = |name, method, path: &str, token: Option<&str>| Request {
        name,
        method,
        path: path.to_owned(),
        token: token.map(str::to_owned),
        body: None,
        expect: unavailable,
    };
    let register = json!({"email": "outage@example.com", "password": "correct horse battery", "name": "Outage"});
    vec![
        Request {
            expect: Expect::Status(503),
            ..request("GET /health/ready", Method::GET, "/health/ready", None)
        },
        request(
            "GET /v1/notifications",
            Method::GET,
            "/v1/notifications",
            Some(&load.member_token),
        ),
        request(
            "GET /v1/admin/jobs",
            Method::GET,
            "/v1/admin/jobs",
            Some(&load.admin),
        ),
        Request {
            body: Some(register),
            ..request(
                "POST /v1/auth/register",
                Method::POST,
                "/v1/auth/register",
                None,
            )
        },
    ]
}

/// The state of a run, shared by the fault steps.
pub struct Chaos {
    pub app: TestApp,
    pub load: Load,
    pub pg: PrivatePostgres,
    pub redis: PrivateRedis,
    pub fleet: Arc<Mutex<Fleet>>,
    pub faults: FaultLog,
    pub dice: Dice,
    pub probe: Probe,
    pub figures: Figures,
    pub outage_answers: Vec<Answer>,
    /// API misbehaviour outside the PostgreSQL outage (e.g. a registration refused while Redis
    /// is down).
    pub findings: Vec<String>,
    pub pings_enqueued: usize,
}

impl Chaos {
    /// SIGKILLs a random worker once it runs jobs (waiting up to `MID_JOB` for it: a kill of
    /// an idle worker tests little), and starts its replacement.
    pub async fn kill_one(&mut self) {
        let index = self.dice.below(WORKERS);
        let pid = self.fleet.lock().expect("fleet").pid(index);
        let pool = &self.app.pool;
        let busy = wait_until("the victim to run jobs", MID_JOB * 2, || async move {
            let running = ledger::running_on(pool, pid).await.ok()?;
            (running > 0).then_some(running)
        });
        let exposed = tokio::time::timeout(MID_JOB, busy).await.unwrap_or(0);
        self.faults.begin();
        self.fleet.lock().expect("fleet").kill(index);
        self.faults.ended(FaultKind::WorkerKilled, exposed);
    }

    /// Jobs an outage starting now exposes.
    async fn open_jobs(&self) -> i64 {
        ledger::open_jobs(&self.app.pool).await.unwrap_or(-1)
    }

    pub async fn enqueue_pings(&mut self, n: usize) {
        match chaos_load::enqueue_pings(&self.app.pool, n).await {
            Ok(()) => self.pings_enqueued += n,
            Err(err) => self
                .findings
                .push(format!("enqueueing {n} pings failed: {err}")),
        }
    }

    /// A registration through the API: new work (a welcome email) arriving during the chaos.
    pub async fn register(&mut self, when: &str) {
        if let Err(answer) = chaos_load::register_one(&self.app).await {
            self.findings.push(format!("registration {when}: {answer}"));
        }
    }

    async fn restart_redis(&mut self, keep_data: bool) {
        let exposed = self.open_jobs().await;
        self.faults.begin();
        let before = self.redis.stop(keep_data).await.expect("Redis stops");
        // The API keeps accepting work while Redis is down (the outbox holds it).
        self.register("while Redis is down").await;
        tokio::time::sleep(REDIS_DOWNTIME).await;
        let after = self.redis.resume().await.expect("Redis starts");
        let (kind, what) = if keep_data {
            (FaultKind::RedisRestartKeepingData, "data kept")
        } else {
            (FaultKind::RedisRestartEmpty, "emptied")
        };
        self.faults.ended(kind, exposed);
        self.figures
            .redis_restarts
            .push(format!("{what}: {before} → {after} keys"));
    }

    /// Stops PostgreSQL for `PG_DOWNTIME`, asking the API meanwhile, then waits for the API to
    /// answer an authenticated request again by itself.
    async fn postgres_outage(&mut self) {
        let requests = outage_requests(&self.load);
        let exposed = self.open_jobs().await;
        self.faults.begin();
        self.pg.stop().await.expect("PostgreSQL stops");
        let down = Instant::now();
        // Each request in its own loop, so a slow answer (a pool waiting for a connection)
        // does not keep the others from asking.
        let probe = &self.probe;
        let rounds = requests.iter().map(|request| async move {
            let mut answers = Vec::new();
            while down.elapsed() < PG_DOWNTIME {
                answers.push(probe.ask(request).await);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            answers
        });
        let answers = futures::future::join_all(rounds).await;
        self.outage_answers.extend(answers.into_iter().flatten());
        self.pg.resume().await.expect("PostgreSQL starts");
        self.figures.pg_downtime += down.elapsed();
        self.faults.ended(FaultKind::PostgresOutage, exposed);
        let back = Instant::now();
        let path = format!("{}/v1/notifications", self.app.address);
        let token = self.load.member_token.clone();
        let client = &self.app.client;
        let answered = wait_until(
            "the API to answer after PostgreSQL restarted",
            API_RECOVERY * 2,
            || {
                let request = client.get(&path).bearer_auth(&token).send();
                async move { request.await.ok().filter(|r| r.status() == 200).map(|_| ()) }
            },
        );
        match tokio::time::timeout(API_RECOVERY, answered).await {
            Ok(()) => self.figures.api_recovery = Some(back.elapsed()),
            Err(_) => self.findings.push(format!(
                "the API did not answer GET /v1/notifications with 200 within {API_RECOVERY:?} of PostgreSQL's restart"
            )),
        }
    }

    /// The fault planned after kill number `step` of `steps`, spread over the run.
    pub async fn planned_fault(&mut self, step: usize, steps: usize) {
        if step == steps / 4 {
            self.restart_redis(true).await;
        } else if step == steps / 2 {
            self.postgres_outage().await;
        } else if step == 3 * steps / 4 {
            self.restart_redis(false).await;
        }
    }
}
