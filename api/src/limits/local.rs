//! The in-process fallback counters: fixed one-minute windows per key, used while Redis cannot
//! be reached, so that signing in keeps working (each process then counts alone).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{Verdict, WINDOW};

/// Keys kept before expired windows are swept out.
const SWEEP_AT: usize = 100_000;

#[derive(Default)]
pub struct LocalCounters {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl LocalCounters {
    /// Counts a request against `limit` per window for `key`.
    pub fn hit(&self, key: &str, limit: u32) -> Verdict {
        let now = Instant::now();
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() > SWEEP_AT {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let (start, count) = windows.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(*start) >= WINDOW {
            *start = now;
            *count = 0;
        }
        *count += 1;
        let reset = WINDOW.saturating_sub(now.duration_since(*start));
        Verdict::of(*count, limit, reset.max(Duration::from_secs(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_over_the_budget_is_refused_with_a_delay() {
        let counters = LocalCounters::default();
        assert!(
            counters.hit("ip:10.0.0.1", 2).allowed() && counters.hit("ip:10.0.0.1", 2).allowed()
        );
        let third = counters.hit("ip:10.0.0.1", 2);
        assert!(!third.allowed());
        assert!((1..=60).contains(&third.reset_secs));
        assert!(
            counters.hit("ip:10.0.0.2", 2).allowed(),
            "other keys unaffected"
        );
    }
}
