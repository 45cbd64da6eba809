//! The job system's Prometheus metrics: the process's recorder, and the counters and run-time
//! histogram that every process records (enqueues where jobs are produced, runs in the workers).
//! Labels stay low-cardinality: the queue and the kind, a kind or queue this version does not
//! know being `other`; never an id. The ledger's gauges (depth, oldest age, relay backlog and
//! window, worker liveness) are computed by the API at scrape time (its `ledger_gauges`).

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{Counter, Unit, describe_counter, describe_histogram};
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};
use tokio_util::sync::CancellationToken;

use comptoir_domain::ledger::Outcome;

use crate::{kinds, queues};

pub const ENQUEUED: &str = "comptoir_jobs_enqueued_total";
pub const STARTED: &str = "comptoir_jobs_started_total";
pub const RETRIED: &str = "comptoir_jobs_retried_total";
pub const SUCCEEDED: &str = "comptoir_jobs_succeeded_total";
pub const FAILED: &str = "comptoir_jobs_failed_total";
pub const FAILED_PERMANENTLY: &str = "comptoir_jobs_failed_permanently_total";
pub const DEAD: &str = "comptoir_jobs_dead_total";
pub const CANCELLED: &str = "comptoir_jobs_cancelled_total";
pub const RUN_DURATION: &str = "comptoir_job_run_duration_seconds";

/// 1 ms to 10 min: a ping takes a millisecond, an import or a report minutes.
const RUN_DURATION_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
    120.0, 300.0, 600.0,
];
/// The API's request latency (`api/src/observe.rs`): the recorder is one per process, so its
/// buckets are set here too.
const HTTP_DURATION: &str = "http_request_duration_seconds";
const HTTP_DURATION_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The process-wide Prometheus recorder, installed on first use. Every kind's enqueue counter
/// starts at zero, so that `rate()` sees a kind's first job.
pub fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        // Fails only on an empty bucket list.
        let builder = with_buckets().unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder is installed (then ours just stays empty).
        let _ = metrics::set_global_recorder(recorder);
        describe();
        for &(kind, queue) in kinds::ALL {
            JobLabels { queue, kind }.counter(ENQUEUED).increment(0);
        }
        handle
    })
}

fn with_buckets() -> Result<PrometheusBuilder, BuildError> {
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(RUN_DURATION.into()), RUN_DURATION_BUCKETS)?
        .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.into()), HTTP_DURATION_BUCKETS)
}

fn describe() {
    describe_counter!(
        ENQUEUED,
        "Jobs written to the ledger (the outbox) by this process."
    );
    describe_counter!(STARTED, "Job runs started by this worker process.");
    describe_counter!(
        RETRIED,
        "Job runs started again after a failed or interrupted attempt."
    );
    describe_counter!(SUCCEEDED, "Job runs that succeeded.");
    describe_counter!(
        FAILED,
        "Job runs that failed and will be retried after a backoff (ledger status retrying)."
    );
    describe_counter!(
        FAILED_PERMANENTLY,
        "Job runs that failed with a permanent error and are not retried (ledger status failed)."
    );
    describe_counter!(
        DEAD,
        "Job runs that failed on their last attempt (ledger status dead)."
    );
    describe_counter!(
        CANCELLED,
        "Jobs cancelled by an admin: queued ones by the API, running ones stopped by a worker."
    );
    describe_histogram!(
        RUN_DURATION,
        Unit::Seconds,
        "Run time of a job attempt, from its start to its outcome."
    );
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "Time the API took to answer a request."
    );
}

/// Starts at zero every run counter of the kinds of `served` queues (see [`prometheus`]).
pub fn register_runs(served: &[String]) {
    let counters = [
        STARTED,
        RETRIED,
        SUCCEEDED,
        FAILED,
        FAILED_PERMANENTLY,
        DEAD,
        CANCELLED,
    ];
    for &(kind, queue) in kinds::ALL {
        if served.iter().any(|served| served == queue) {
            for name in counters {
                JobLabels { queue, kind }.counter(name).increment(0);
            }
        }
    }
}

/// Moves histogram samples into their buckets now and then, so that memory stays bounded when
/// nobody scrapes for a while; until `stop`.
pub async fn upkeep(stop: CancellationToken) {
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(UPKEEP_EVERY) => prometheus().run_upkeep(),
        }
    }
}

/// A job's labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobLabels {
    pub queue: &'static str,
    pub kind: &'static str,
}

/// `value` if it is one of `known`, else `other`.
fn bounded(known: impl IntoIterator<Item = &'static str>, value: &str) -> &'static str {
    known
        .into_iter()
        .find(|known| *known == value)
        .unwrap_or("other")
}

impl JobLabels {
    pub fn new(queue: &str, kind: &str) -> Self {
        Self {
            queue: bounded(queues::ALL.iter().copied(), queue),
            kind: bounded(kinds::ALL.iter().map(|(kind, _)| *kind), kind),
        }
    }

    fn counter(self, name: &'static str) -> Counter {
        metrics::counter!(name, "queue" => self.queue, "kind" => self.kind)
    }

    pub fn enqueued(self) {
        self.counter(ENQUEUED).increment(1);
    }

    /// A run of `attempt` (1 for the first) started.
    pub fn started(self, attempt: i32) {
        self.counter(STARTED).increment(1);
        if attempt > 1 {
            self.counter(RETRIED).increment(1);
        }
    }

    /// A run ended with `outcome` after `run_time`.
    pub fn finished(self, outcome: &Outcome, run_time: Duration) {
        let counter = match outcome {
            Outcome::Succeeded => SUCCEEDED,
            Outcome::Retry { .. } => FAILED,
            Outcome::Failed { .. } => FAILED_PERMANENTLY,
            Outcome::Dead { .. } => DEAD,
            Outcome::Cancelled => CANCELLED,
        };
        self.counter(counter).increment(1);
        metrics::histogram!(RUN_DURATION, "queue" => self.queue, "kind" => self.kind)
            .record(run_time);
    }

    /// A job that had not started was cancelled.
    pub fn cancelled(self) {
        self.counter(CANCELLED).increment(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_kinds_and_queues_are_labelled_other() {
        assert_eq!(
            JobLabels::new("email", "email.send.v1"),
            JobLabels {
                queue: "email",
                kind: "email.send.v1"
            }
        );
        let unknown = JobLabels::new("queue-9f2c", "email.send.v99-0195b3c4");
        assert_eq!((unknown.queue, unknown.kind), ("other", "other"));
    }

    #[test]
    fn every_kind_is_served_by_a_known_queue() {
        for &(kind, queue) in kinds::ALL {
            assert!(queues::ALL.contains(&queue), "{kind} on {queue}");
        }
    }
}
