//! The outbox relay: keeps each queue's Redis window filled from the Postgres ledger. It runs in
//! every API and worker process, woken right after each commit and each worker pop, and on an
//! interval that picks up retries whose backoff has elapsed and retries while Redis is down.
//!
//! Redis never holds more than a queue's window, whatever the backlog: a burst of 200,000 jobs
//! waits in the outbox and flows through Redis a window at a time.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use comptoir_domain::StoreError;
use comptoir_domain::config::JobSettings;
use comptoir_domain::ledger::{self, RelayedJob};

use crate::repeated::RepeatedFailure;
use crate::transport::{Message, RedisTransport, TransportError};

/// Relays whose pushes raced each other can put messages in the list slightly out of
/// `relayed_at` order; the lost-message sweep allows this much.
const PUSH_RACE_SLACK: Duration = Duration::from_secs(2);
/// Rounds of one drain before the loop looks at shutdown again.
const ROUNDS_PER_DRAIN: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("relay: ledger")]
    Store(#[from] StoreError),
    #[error("relay: transport")]
    Transport(#[from] TransportError),
}

pub struct Relay {
    pool: PgPool,
    transport: RedisTransport,
    windows: Vec<(String, usize)>,
    batch: u32,
    interval: Duration,
    redeliver_after: Duration,
    kick: Arc<Notify>,
    failures: RepeatedFailure,
}

impl Relay {
    pub fn new(
        pool: PgPool,
        transport: RedisTransport,
        settings: &JobSettings,
        kick: Arc<Notify>,
    ) -> Self {
        Self {
            pool,
            transport,
            windows: settings.windows(),
            batch: settings.relay_batch,
            interval: Duration::from_millis(settings.relay_interval_ms),
            redeliver_after: Duration::from_secs(settings.redeliver_after_secs),
            kick,
            failures: RepeatedFailure::new("job relay", settings.log_repeat()),
        }
    }

    /// One round: fills every window that has room; returns how many jobs reached Redis.
    pub async fn relay_once(&self) -> Result<usize, RelayError> {
        let rooms = self.transport.free_room(&self.windows).await?;
        let wanted: Vec<(&str, u32)> = self
            .windows
            .iter()
            .zip(rooms)
            .filter(|(_, room)| *room > 0)
            .map(|((queue, _), room)| {
                (
                    queue.as_str(),
                    u32::try_from(room).unwrap_or(u32::MAX).min(self.batch),
                )
            })
            .collect();
        if wanted.is_empty() {
            return Ok(0);
        }
        let taken = ledger::take_for_relay(&self.pool, &wanted).await?;
        let mut pushed = 0;
        let mut refused = Vec::new();
        let mut failure = None;
        for (queue, window) in &self.windows {
            let jobs: Vec<&RelayedJob> = taken.iter().filter(|job| &job.queue == queue).collect();
            if jobs.is_empty() {
                continue;
            }
            let messages: Vec<Message> = jobs
                .iter()
                .map(|job| Message {
                    id: job.id,
                    relayed_at: job.relayed_at,
                })
                .collect();
            let taken_by_redis = if failure.is_none() {
                match self.transport.push(queue, *window, &messages).await {
                    Ok(count) => count,
                    Err(err) => {
                        failure = Some(err);
                        0
                    }
                }
            } else {
                0
            };
            pushed += taken_by_redis;
            refused.extend(jobs[taken_by_redis..].iter().map(|job| job.id));
        }
        // Back to the outbox: what a full window (another relay was faster) or a failing Redis
        // did not take. Should this fail too, the lost-message sweep hands them again.
        ledger::unmark_relayed(&self.pool, &refused).await?;
        match failure {
            Some(err) => Err(err.into()),
            None => Ok(pushed),
        }
    }

    /// Relays until the windows are full or nothing is due (or a bounded number of rounds).
    pub async fn drain(&self) -> Result<usize, RelayError> {
        let mut total = 0;
        for _ in 0..ROUNDS_PER_DRAIN {
            let relayed = self.relay_once().await?;
            if relayed == 0 {
                break;
            }
            total += relayed;
        }
        Ok(total)
    }

    /// Hands again the jobs whose message left Redis without the job starting (see
    /// [`ledger::redeliver_lost`]).
    pub async fn redeliver_lost(&self) -> Result<u64, RelayError> {
        let mut redelivered = 0;
        for (queue, _) in &self.windows {
            let oldest = self.transport.oldest_waiting(queue).await?;
            redelivered += ledger::redeliver_lost(
                &self.pool,
                queue,
                oldest.map(|message| message.relayed_at),
                self.redeliver_after,
                PUSH_RACE_SLACK,
            )
            .await?;
        }
        Ok(redelivered)
    }

    /// Runs until `shutdown`. While failing it waits for the interval rather than retrying on
    /// every kick, and logs each distinct failure once per interval.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut lost_sweep = tokio::time::interval(self.redeliver_after / 2);
        // Whatever waited in the outbox while no process ran goes out now, not after a tick.
        let mut first = true;
        loop {
            let failing = self.failures.failing_for().is_some();
            tokio::select! {
                () = std::future::ready(()), if first => first = false,
                () = shutdown.cancelled() => return,
                () = self.kick.notified(), if !failing => {}
                () = tokio::time::sleep(self.interval) => {}
                _ = lost_sweep.tick() => match self.redeliver_lost().await {
                    Ok(0) => {}
                    Ok(redelivered) => tracing::warn!(redelivered, "jobs whose queue message was lost are sent again"),
                    Err(err) => self.failures.failed(&err),
                },
            }
            match self.drain().await {
                Ok(relayed) => {
                    self.failures.succeeded();
                    if relayed > 0 {
                        tracing::debug!(relayed, "jobs relayed to redis");
                    }
                }
                Err(err) => self.failures.failed(&err),
            }
        }
    }
}
