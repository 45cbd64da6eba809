//! Helpers for the job-system tests: workers in-process and as real processes, a private Redis
//! that can be stopped and restarted, and an SMTP server that never answers.

#![allow(dead_code)] // each test binary uses a different subset

pub mod images;
pub mod imports;
pub mod payments;
pub mod pdf;
pub mod privacy;
pub mod quotes;
pub mod rig;
pub mod sms;

use std::net::TcpListener as StdListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use sqlx::PgPool;
use tokio::sync::oneshot;
use uuid::Uuid;

use comptoir_domain::config::Settings;
use comptoir_domain::ledger::{self, JobRecord};
use comptoir_testkit::{wait_until, worker_env};
use comptoir_worker::WorkerProcess;

/// A worker running inside the test process; stopped (gracefully) when dropped or `stop`ped.
pub struct InProcessWorker {
    stop: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

pub fn spawn_worker(settings: &Settings, queues: &[&str]) -> InProcessWorker {
    let process = WorkerProcess::new(
        settings.clone(),
        queues.iter().map(|q| (*q).to_owned()).collect(),
    )
    .expect("worker config");
    let (stop, stopped) = oneshot::channel::<()>();
    let handle = tokio::spawn(process.run(async move {
        let _ = stopped.await;
    }));
    InProcessWorker {
        stop: Some(stop),
        handle: Some(handle),
    }
}

impl InProcessWorker {
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle
                .await
                .expect("worker task")
                .expect("worker stopped cleanly");
        }
    }
}

impl Drop for InProcessWorker {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The real `comptoir-worker` binary as a child process.
pub fn spawn_worker_process(settings: &Settings, queues: &str) -> Child {
    spawn_worker_process_logging(settings, queues, Stdio::null())
}

/// Like [`spawn_worker_process`], its log (standard output) going to `log`.
pub fn spawn_worker_process_logging(settings: &Settings, queues: &str, log: Stdio) -> Child {
    Command::new(env!("CARGO_BIN_EXE_comptoir-worker"))
        .args(["--queues", queues])
        .envs(worker_env(settings))
        .stdout(log)
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the worker binary starts")
}

/// A worker process, killed when the test ends, even by a failed assertion.
pub struct WorkerChild(pub Child);

impl WorkerChild {
    pub fn spawn(settings: &Settings, queues: &str) -> Self {
        Self(spawn_worker_process(settings, queues))
    }
}

impl Drop for WorkerChild {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// A private redis-server on its own port, which a test can stop and start again.
pub struct PrivateRedis {
    pub port: u16,
    child: Option<Child>,
}

impl PrivateRedis {
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Reserves a port; the server is not running until [`PrivateRedis::start`].
    pub fn stopped() -> Self {
        Self {
            port: free_port(),
            child: None,
        }
    }

    pub async fn start(&mut self) {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is installed");
        self.child = Some(child);
        let port = self.port;
        wait_until(
            "the private redis to listen",
            Duration::from_secs(10),
            || async move {
                tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .ok()
                    .map(|_| ())
            },
        )
        .await;
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// An SMTP server that accepts connections and never says a word: a send hangs on it.
pub async fn smtp_tarpit() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    port
}

pub async fn job(pool: &PgPool, id: Uuid) -> JobRecord {
    ledger::find(pool, id)
        .await
        .expect("ledger")
        .expect("job exists")
}

/// Waits until job `id` reaches `status`, and returns it.
pub async fn wait_for_status(
    pool: &PgPool,
    id: Uuid,
    status: &str,
    timeout: Duration,
) -> JobRecord {
    wait_until(&format!("job {id} to be {status}"), timeout, || async {
        let job = job(pool, id).await;
        (job.status == status).then_some(job)
    })
    .await
}

/// The id of the only job of `kind` whose payload has `field == value`.
pub async fn job_id_where(pool: &PgPool, kind: &str, field: &str, value: &Value) -> Uuid {
    sqlx::query_scalar("SELECT id FROM jobs WHERE kind = $1 AND payload -> $2 = $3")
        .bind(kind)
        .bind(field)
        .bind(value)
        .fetch_one(pool)
        .await
        .expect("one such job")
}
pub mod reports;
