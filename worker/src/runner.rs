//! Runs one claimed job: its handler (stopped if the claim's lease is lost or an admin cancels
//! it), then the outcome (and retry schedule) handed to the claim book, which records outcomes
//! in batches.
//!
//! A stop drops the handler's future at its next `.await`. Handlers are written to survive a
//! kill at any instruction (one transaction per step, idempotent effects), so every await is a
//! safe point: an import keeps its committed batches, an unfinished transaction rolls back.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use apalis::prelude::{BoxDynError, Data};
use futures::FutureExt;
use tracing::Instrument;

use comptoir_domain::ledger::{ClaimedJob, FinishedRun, Outcome};
use comptoir_jobs::metrics::JobLabels;

use crate::claims::{Claim, ClaimBook};
use crate::dispatch::{self, Handlers};
use crate::error::JobError;
use crate::retry::Backoff;

pub struct Runner {
    pub book: ClaimBook,
    pub backoff: Backoff,
    pub handlers: Handlers,
    pub in_flight: InFlight,
}

/// How many jobs this process is running now (for its heartbeat).
#[derive(Debug, Clone, Default)]
pub struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    pub fn count(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    fn enter(&self) -> InFlightGuard {
        self.0.fetch_add(1, Ordering::Relaxed);
        InFlightGuard(self.0.clone())
    }
}

struct InFlightGuard(Arc<AtomicUsize>);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The apalis handler of every queue. It always succeeds towards apalis: outcomes, retries and
/// redelivery live in the ledger.
pub async fn handle(claim: Claim, runner: Data<Arc<Runner>>) -> Result<(), BoxDynError> {
    runner.run(claim).await;
    Ok(())
}

impl Runner {
    async fn run(&self, claim: Claim) {
        let Claim { job, lost, cancel } = claim;
        let _in_flight = self.in_flight.enter();
        let span =
            tracing::info_span!("job", job_id = %job.id, kind = %job.kind, attempt = job.attempts);
        let labels = JobLabels::new(&job.queue, &job.kind);
        labels.started(job.attempts);
        let started = Instant::now();
        span.in_scope(|| tracing::debug!("job started"));
        let work = AssertUnwindSafe(dispatch::run(&self.handlers, &job))
            .catch_unwind()
            .instrument(span.clone());
        let outcome = tokio::select! {
            result = work => self.outcome(&job, result.unwrap_or_else(|_| Err(JobError::Transient(anyhow::anyhow!("the handler panicked"))))),
            () = lost.cancelled() => self.outcome(&job, Err(JobError::Transient(anyhow::anyhow!("lease lost: the job was taken over")))),
            () = cancel.cancelled() => Outcome::Cancelled,
        };
        let elapsed = started.elapsed();
        labels.finished(&outcome, elapsed);
        span.in_scope(|| log_outcome(&outcome, elapsed.as_millis() as u64));
        self.book
            .finished(FinishedRun {
                id: job.id,
                attempts: job.attempts,
                outcome,
            })
            .await;
    }

    /// Permanent errors fail at once; transient ones retry with backoff until the attempts run
    /// out. `{:#}` keeps the whole cause chain in the ledger's last_error.
    fn outcome(&self, job: &ClaimedJob, result: Result<(), JobError>) -> Outcome {
        match result {
            Ok(()) => Outcome::Succeeded,
            Err(err @ JobError::Permanent(_)) => Outcome::Failed {
                error: err.to_string(),
            },
            Err(err) if job.attempts >= job.max_attempts => Outcome::Dead {
                error: err.to_string(),
            },
            Err(err) => Outcome::Retry {
                delay: self.backoff.delay(u32::try_from(job.attempts).unwrap_or(1)),
                error: err.to_string(),
            },
        }
    }
}

fn log_outcome(outcome: &Outcome, elapsed_ms: u64) {
    match outcome {
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
        Outcome::Failed { error } => tracing::error!(elapsed_ms, error, "job failed permanently"),
        Outcome::Cancelled => {
            tracing::warn!(elapsed_ms, "job cancelled by an admin; its run stopped")
        }
    }
}
