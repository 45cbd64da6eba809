//! A consumer's fetch loop: pop up to a batch of messages from the queue's Redis list (blocking
//! while it is empty, so a pushed job starts at once), claim them all in one statement, and hand
//! the claims out one at a time. Failures never leave the loop: they are reported to the
//! consumer's health, logged once per interval, and retried with capped exponential backoff on
//! a fresh connection.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use futures::stream::BoxStream;
use sqlx::PgPool;
use tokio::sync::Notify;
use uuid::Uuid;

use comptoir_domain::{StoreError, ledger};
use comptoir_jobs::{Consumer, Message, RedisTransport, RepeatedFailure, TransportError};

use crate::claims::{Claim, ClaimBook};
use crate::retry::Backoff;

/// Backoff of a failing fetch loop: 100 ms doubling to 10 s, with jitter.
const FAILURE_BACKOFF: Backoff = Backoff {
    base: Duration::from_millis(100),
    max: Duration::from_secs(10),
};

#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error("pop from redis")]
    Transport(#[from] TransportError),
    #[error("claim in the ledger")]
    Store(#[from] StoreError),
}

/// What claimed jobs wait in before a handler takes them; shared with the process, which hands
/// them back at shutdown.
pub type ClaimBuffer = Arc<Mutex<VecDeque<Claim>>>;

#[derive(Clone)]
pub struct Fetcher {
    pub queue: String,
    pub transport: RedisTransport,
    pub pool: PgPool,
    pub worker: String,
    pub lease: Duration,
    pub batch: usize,
    pub block: Duration,
    pub buffer: ClaimBuffer,
    pub book: ClaimBook,
    pub relay_kick: Arc<Notify>,
    pub health: Arc<RepeatedFailure>,
    /// Before the first fetch: the pause of a restarted consumer.
    pub start_delay: Duration,
}

struct State {
    fetcher: Fetcher,
    consumer: Option<Consumer>,
    /// Popped but not yet claimed (kept across a failing claim, so they are not lost).
    popped: Vec<Uuid>,
    failures: u32,
}

impl Fetcher {
    pub fn into_stream(self) -> BoxStream<'static, Claim> {
        let state = State {
            fetcher: self,
            consumer: None,
            popped: Vec::new(),
            failures: 0,
        };
        futures::stream::unfold(state, |mut state| async move {
            let claim = state.next().await;
            Some((claim, state))
        })
        .boxed()
    }
}

impl State {
    async fn next(&mut self) -> Claim {
        let delay = std::mem::take(&mut self.fetcher.start_delay);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        loop {
            if let Some(claim) = lock(&self.fetcher.buffer).pop_front() {
                return claim;
            }
            match self.refill().await {
                Ok(()) => {
                    self.failures = 0;
                    self.fetcher.health.succeeded();
                }
                Err(err) => {
                    self.fetcher.health.failed(&err);
                    self.failures += 1;
                    tokio::time::sleep(FAILURE_BACKOFF.delay(self.failures)).await;
                }
            }
        }
    }

    async fn refill(&mut self) -> Result<(), FetchError> {
        let fetcher = &self.fetcher;
        if self.popped.is_empty() {
            let consumer = match self.consumer.as_mut() {
                Some(consumer) => consumer,
                None => self.consumer.insert(
                    fetcher
                        .transport
                        .consumer(&fetcher.queue, fetcher.block)
                        .await?,
                ),
            };
            let raw = match consumer.pop(fetcher.batch).await {
                Ok(raw) => raw,
                Err(err) => {
                    // A fresh connection next time.
                    self.consumer = None;
                    return Err(err.into());
                }
            };
            if raw.is_empty() {
                return Ok(());
            }
            // Room in the window: let the relay top it up.
            fetcher.relay_kick.notify_one();
            self.popped = raw
                .iter()
                .filter_map(|raw| {
                    let message = Message::decode(raw);
                    if message.is_none() {
                        tracing::error!(queue = %fetcher.queue, message = %raw.escape_debug(), "dropping a queue message that is not a job message");
                    }
                    message.map(|message| message.id)
                })
                .collect();
        }
        let jobs = ledger::claim_batch(&fetcher.pool, &self.popped, &fetcher.worker, fetcher.lease)
            .await?;
        let dropped = self.popped.len() - jobs.len();
        if dropped > 0 {
            tracing::debug!(queue = %fetcher.queue, dropped, "deliveries dropped: jobs already done, running or not due");
        }
        self.popped.clear();
        let claims = fetcher.book.hold(jobs).await;
        lock(&fetcher.buffer).extend(claims);
        Ok(())
    }
}

pub fn lock(buffer: &ClaimBuffer) -> std::sync::MutexGuard<'_, VecDeque<Claim>> {
    buffer
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
