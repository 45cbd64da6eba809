//! Logging of failures that repeat: while Redis or Postgres is down, every loop of every
//! consumer fails the same way. Each distinct error is logged once per interval with the count
//! of repeats since it was last written, and recovery is logged once.

use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct RepeatedFailure {
    what: &'static str,
    interval: Duration,
    state: Mutex<Option<Failing>>,
}

struct Failing {
    error: String,
    logged_at: Instant,
    since: Instant,
    repeats: u64,
    total: u64,
}

impl RepeatedFailure {
    /// `what` names the loop in the log lines, e.g. "relay" or "email consumer".
    pub fn new(what: &'static str, interval: Duration) -> Self {
        Self {
            what,
            interval,
            state: Mutex::new(None),
        }
    }

    /// Records a failure; logs it when it is new or its interval has passed.
    pub fn failed(&self, error: &(dyn std::error::Error + 'static)) {
        let message = error_chain(error);
        let now = Instant::now();
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(failing) = state.as_mut().filter(|failing| failing.error == message) {
            failing.repeats += 1;
            failing.total += 1;
            if now.duration_since(failing.logged_at) >= self.interval {
                tracing::warn!(
                    what = self.what,
                    error = %message,
                    repeated = failing.repeats,
                    failing_for_secs = failing.since.elapsed().as_secs(),
                    "still failing"
                );
                failing.logged_at = now;
                failing.repeats = 0;
            }
            return;
        }
        tracing::warn!(what = self.what, error = %message, "failing");
        let since = state.as_ref().map_or(now, |failing| failing.since);
        let total = state.as_ref().map_or(0, |failing| failing.total) + 1;
        *state = Some(Failing {
            error: message,
            logged_at: now,
            since,
            repeats: 0,
            total,
        });
    }

    /// Records a success; logs the recovery after a failure.
    pub fn succeeded(&self) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(failing) = state.take() {
            tracing::info!(
                what = self.what,
                failures = failing.total,
                failed_for_ms = failing.since.elapsed().as_millis() as u64,
                "recovered"
            );
        }
    }

    /// How long it has been failing without a success in between.
    pub fn failing_for(&self) -> Option<Duration> {
        let state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        state.as_ref().map(|failing| failing.since.elapsed())
    }

    /// The last error, while failing.
    pub fn last_error(&self) -> Option<String> {
        let state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        state.as_ref().map(|failing| failing.error.clone())
    }
}

/// The error and its causes on one line, `outer: cause: root`.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !message.ends_with(&cause_text) {
            message.push_str(": ");
            message.push_str(&cause_text);
        }
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_reads_outer_to_root() {
        let root = std::io::Error::other("connection refused");
        let outer = anyhow::Error::new(root).context("redis pop");
        let boxed: Box<dyn std::error::Error + Send + Sync> = outer.into();
        assert_eq!(error_chain(boxed.as_ref()), "redis pop: connection refused");
    }

    #[test]
    fn failing_for_runs_from_the_first_failure_until_a_success() {
        let log = RepeatedFailure::new("test", Duration::from_secs(60));
        assert!(log.failing_for().is_none());
        let err = std::io::Error::other("down");
        log.failed(&err);
        log.failed(&std::io::Error::other("other"));
        assert!(log.failing_for().is_some());
        assert_eq!(log.last_error().as_deref(), Some("other"));
        log.succeeded();
        assert!(log.failing_for().is_none());
    }
}
