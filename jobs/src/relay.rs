//! The outbox relay: pushes committed, due jobs from the Postgres ledger to Redis. It runs in
//! every API and worker process — woken right after each commit, and on an interval that
//! retries while Redis is down and picks up retries whose backoff has elapsed.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use comptoir_domain::config::JobSettings;
use comptoir_domain::ledger::{self, RelayError, RelayItem};

use crate::transport::{RedisTransport, TransportError};

pub struct Relay {
    pool: PgPool,
    transport: RedisTransport,
    batch: u32,
    interval: Duration,
    kick: Arc<Notify>,
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
            batch: settings.relay_batch,
            interval: Duration::from_millis(settings.relay_interval_ms),
            kick,
        }
    }

    /// Relays one batch; returns how many jobs reached Redis.
    pub async fn relay_batch(&self) -> Result<usize, RelayError<TransportError>> {
        ledger::relay_due(&self.pool, self.batch, |due: Vec<RelayItem>| async move {
            let mut pushed = Vec::with_capacity(due.len());
            for item in due {
                if let Err(err) = self.transport.push(&item.queue, item.id).await {
                    return (pushed, Some(err));
                }
                pushed.push(item.id);
            }
            (pushed, None)
        })
        .await
    }

    /// Relays until nothing is due.
    pub async fn drain(&self) -> Result<usize, RelayError<TransportError>> {
        let mut total = 0;
        loop {
            let relayed = self.relay_batch().await?;
            total += relayed;
            if relayed < self.batch as usize {
                return Ok(total);
            }
        }
    }

    /// Runs until `shutdown`; failures are logged once per outage, not once per tick.
    pub async fn run(self, shutdown: CancellationToken) {
        // Connect now rather than on the first job (best effort: the loop retries anyway).
        let _ = self.transport.connection().await;
        let mut failing = false;
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = self.kick.notified() => {}
                () = tokio::time::sleep(self.interval) => {}
            }
            match self.drain().await {
                Ok(relayed) => {
                    if failing {
                        tracing::info!("job relay recovered");
                        failing = false;
                    }
                    if relayed > 0 {
                        tracing::debug!(relayed, "jobs relayed to redis");
                    }
                }
                Err(err) if !failing => {
                    tracing::warn!(error = %err, cause = ?std::error::Error::source(&err), "job relay failing; jobs stay in the outbox");
                    failing = true;
                }
                Err(_) => {}
            }
        }
    }
}
