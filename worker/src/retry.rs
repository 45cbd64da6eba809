//! The retry schedule: exponential backoff with jitter, capped.

use std::time::Duration;

use rand::Rng;

#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Backoff {
    /// Delay before the attempt after `attempt` (1-based): base·2^(attempt−1), capped at `max`,
    /// then ±25% jitter so a burst of failures does not retry in lockstep.
    pub fn delay(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(30);
        let nominal = self.base.saturating_mul(1 << exponent).min(self.max);
        nominal.mul_f64(rand::rng().random_range(0.75..=1.25))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_within_jitter_and_stay_capped() {
        let backoff = Backoff {
            base: Duration::from_secs(2),
            max: Duration::from_secs(60),
        };
        for (attempt, nominal) in [
            (1, 2.0),
            (2, 4.0),
            (3, 8.0),
            (5, 32.0),
            (6, 60.0),
            (40, 60.0),
        ] {
            let delay = backoff.delay(attempt).as_secs_f64();
            assert!(
                (nominal * 0.75..=nominal * 1.25).contains(&delay),
                "attempt {attempt}: {delay}"
            );
        }
    }
}
