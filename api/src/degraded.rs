//! Throttled "running degraded" log lines: a dependency that is down fails every request, and
//! one line a minute says so without flooding the log.

use std::sync::atomic::{AtomicI64, Ordering};

/// At most one line per this many seconds.
const EVERY_SECS: i64 = 60;

#[derive(Default)]
pub struct DegradedLog {
    last: AtomicI64,
}

impl DegradedLog {
    /// True at most once per minute, across threads: the caller logs then.
    pub fn due(&self) -> bool {
        let now = chrono::Utc::now().timestamp();
        let last = self.last.load(Ordering::Relaxed);
        now - last >= EVERY_SECS
            && self
                .last
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}
