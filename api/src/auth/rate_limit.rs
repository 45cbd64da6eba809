//! Per-IP fixed-window rate limiting for the auth routes (brute force and OTP abuse).
//! In-process: with N API replicas an IP gets at most N × the limit; a shared limiter would put
//! Redis on the login path, which must keep working while Redis is down.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);

pub struct RateLimiter {
    per_window: u32,
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn per_minute(per_window: u32) -> Self {
        Self {
            per_window,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request; `Err(retry_after_secs)` when the IP is over its budget.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        let now = Instant::now();
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() > 100_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let (start, count) = windows.entry(ip).or_insert((now, 0));
        if now.duration_since(*start) >= WINDOW {
            *start = now;
            *count = 0;
        }
        if *count >= self.per_window {
            let left = WINDOW.saturating_sub(now.duration_since(*start));
            return Err(left.as_secs().max(1));
        }
        *count += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_over_the_budget_is_refused_with_a_delay() {
        let limiter = RateLimiter::per_minute(2);
        let ip: IpAddr = [10, 0, 0, 1].into();
        assert!(limiter.check(ip).is_ok() && limiter.check(ip).is_ok());
        let retry = limiter.check(ip).expect_err("third is over");
        assert!((1..=60).contains(&retry));
        assert!(
            limiter.check([10, 0, 0, 2].into()).is_ok(),
            "other IPs unaffected"
        );
    }
}
