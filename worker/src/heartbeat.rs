//! The process's entry in the ledger's worker registry (`GET /v1/admin/workers`): recorded at
//! start, refreshed with the jobs in flight every `worker.heartbeat_secs`, marked stopped on a
//! graceful exit. A process that dies stops beating, and shows as gone.

use std::time::Duration;

use serde_json::{Map, Value};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use comptoir_domain::config::Settings;
use comptoir_domain::worker_processes::{self, Registration};
use comptoir_jobs::RepeatedFailure;

use crate::process::host_name;
use crate::runner::InFlight;

pub struct Heartbeat {
    pub pool: PgPool,
    pub name: String,
    pub every: Duration,
    pub in_flight: InFlight,
}

impl Heartbeat {
    /// Beats until `stop`, then records the graceful exit. A failing database is retried at
    /// the next beat.
    pub async fn run(self, settings: &Settings, queues: &[String], stop: CancellationToken) {
        let host = host_name();
        let served: Map<String, Value> = queues
            .iter()
            .map(|queue| (queue.clone(), settings.queue_concurrency(queue).into()))
            .collect();
        let registration = Registration {
            name: &self.name,
            host: &host,
            pid: std::process::id(),
            version: env!("CARGO_PKG_VERSION"),
            queues: Value::Object(served),
        };
        let failures = RepeatedFailure::new("worker heartbeat", settings.jobs.log_repeat());
        loop {
            let in_flight = self.in_flight.count();
            match worker_processes::beat(&self.pool, &registration, in_flight).await {
                Ok(()) => failures.succeeded(),
                Err(err) => failures.failed(&err),
            }
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(self.every) => {}
            }
        }
        if let Err(err) = worker_processes::stopped(&self.pool, &self.name).await {
            tracing::warn!(error = %err, "could not record the worker's exit; it will show as gone");
        }
    }
}
