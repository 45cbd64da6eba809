//! Runs one delivered job: claim it in the ledger (with a lease), run its handler while renewing
//! the lease, record the outcome. Duplicate deliveries find nothing to claim and are dropped, so
//! Redis's at-least-once delivery never runs a job twice at the same time.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use apalis::prelude::{BoxDynError, Data};
use futures::FutureExt;
use serde_json::Value;
use sqlx::PgPool;
use tracing::Instrument;

use comptoir_domain::StoreError;
use comptoir_domain::ledger::{self, ClaimedJob, Outcome};
use comptoir_jobs::JobRef;

use crate::dispatch::{self, Handlers};
use crate::error::JobError;
use crate::retry::Backoff;

pub struct Runner {
    pub pool: PgPool,
    pub worker_name: String,
    pub lease: Duration,
    pub backoff: Backoff,
    pub handlers: Handlers,
}

/// The apalis handler of every queue. It always acknowledges: outcomes, retries and redelivery
/// live in the ledger, so apalis-redis's own retry (25 linear attempts, whose pending data its
/// vacuum may delete) never comes into play. When the ledger is unreachable the message is
/// dropped after a few tries; the ledger's redelivery sweep sends the job again later.
/// Messages are decoded here rather than by apalis, whose worker exits on an undecodable one.
pub async fn handle(message: Value, runner: Data<Arc<Runner>>) -> Result<(), BoxDynError> {
    let job = match serde_json::from_value::<JobRef>(message) {
        Ok(job) => job,
        Err(err) => {
            tracing::error!(error = %err, "dropping a queue message that is not a job reference");
            return Ok(());
        }
    };
    let mut pause = Duration::from_millis(200);
    for _ in 0..LEDGER_TRIES {
        match runner.run(job).await {
            Ok(()) => return Ok(()),
            Err(err) => tracing::warn!(job_id = %job.id, error = %err, "job ledger unreachable"),
        }
        tokio::time::sleep(pause).await;
        pause *= 2;
    }
    tracing::error!(job_id = %job.id, "job left for the redelivery sweep: ledger unreachable");
    Ok(())
}

/// In-process attempts to reach the ledger for one delivery (about 12 s in all).
const LEDGER_TRIES: u32 = 6;

impl Runner {
    async fn run(&self, job: JobRef) -> Result<(), StoreError> {
        let claimed = ledger::claim(&self.pool, job.id, &self.worker_name, self.lease).await?;
        let Some(claimed) = claimed else {
            tracing::debug!(job_id = %job.id, "delivery dropped: job already done, running or not due");
            return Ok(());
        };
        let span = tracing::info_span!("job", job_id = %claimed.id, kind = %claimed.kind, attempt = claimed.attempts);
        let started = Instant::now();
        span.in_scope(|| tracing::info!("job started"));
        let result = self.run_with_lease(&claimed).instrument(span.clone()).await;
        let outcome_error = result.as_ref().err().map(ToString::to_string);
        let outcome = match (&result, outcome_error.as_deref()) {
            (Ok(()), _) => Outcome::Succeeded,
            (Err(JobError::Permanent(_)), Some(error)) => Outcome::Failed { error },
            (Err(JobError::Transient(_)), Some(error))
                if claimed.attempts >= claimed.max_attempts =>
            {
                Outcome::Dead { error }
            }
            (Err(JobError::Transient(_)), Some(error)) => Outcome::Retry {
                delay: self
                    .backoff
                    .delay(u32::try_from(claimed.attempts).unwrap_or(1)),
                error,
            },
            (Err(_), None) => unreachable!("an error always renders"),
        };
        let elapsed_ms = started.elapsed().as_millis() as u64;
        span.in_scope(|| match &outcome {
            Outcome::Succeeded => tracing::info!(elapsed_ms, "job succeeded"),
            Outcome::Retry { delay, error } => tracing::warn!(
                elapsed_ms,
                retry_in_ms = delay.as_millis() as u64,
                error,
                "job failed; will retry"
            ),
            Outcome::Dead { error } => {
                tracing::error!(elapsed_ms, error, "job dead: attempts exhausted")
            }
            Outcome::Failed { error } => {
                tracing::error!(elapsed_ms, error, "job failed permanently")
            }
        });
        ledger::finish(&self.pool, &claimed, &self.worker_name, outcome).await
    }

    /// Runs the handler, renewing the lease every third of its length. A panic is a transient
    /// failure: it is recorded and retried like any other. A lost lease (this run stalled past
    /// it and another worker took the job over) stops the run, so two never overlap.
    async fn run_with_lease(&self, job: &ClaimedJob) -> Result<(), JobError> {
        let work = AssertUnwindSafe(dispatch::run(&self.handlers, job)).catch_unwind();
        tokio::pin!(work);
        let mut renew = tokio::time::interval(self.lease / 3);
        renew.tick().await;
        loop {
            tokio::select! {
                result = &mut work => {
                    return result.unwrap_or_else(|_| Err(JobError::Transient(anyhow::anyhow!("the handler panicked"))));
                }
                _ = renew.tick() => {
                    match ledger::renew_lease(&self.pool, job, &self.worker_name, self.lease).await {
                        Ok(true) => {}
                        Ok(false) => {
                            return Err(JobError::Transient(anyhow::anyhow!("lease lost: the job was taken over")));
                        }
                        Err(err) => tracing::warn!(job_id = %job.id, error = %err, "lease renewal failed"),
                    }
                }
            }
        }
    }
}
