//! Queue consumers: our apalis backend on Redis. Redis carries job messages within each queue's
//! window; a consumer pops them in batches, claims them in the Postgres ledger in one statement
//! and feeds the apalis worker, which runs them with the queue's concurrency.
//!
//! apalis-redis's own storage is not used: its fetch promotes every due task in one Lua
//! `unpack` (a queue with more than ~8,000 due tasks fails every fetch), it keeps a hash per
//! task and a done set until vacuumed, a pushed task waits for the next poll (push goes through
//! the scheduled set and signals nobody), and a failing fetch made the monitor re-register the
//! worker under the same name in a hot loop.

mod backend;
mod fetch;

use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use comptoir_jobs::RepeatedFailure;

pub use backend::QueueBackend;
pub use fetch::Fetcher;

use crate::retry::Backoff;

/// Pause before a restarted consumer fetches again: 1 s doubling to 30 s.
const RESTART_BACKOFF: Backoff = Backoff {
    base: Duration::from_secs(1),
    max: Duration::from_secs(30),
};

/// One queue's consumer, from which apalis builds a worker (and rebuilds it after a restart).
pub struct QueueConsumer {
    fetcher: Fetcher,
}

impl QueueConsumer {
    pub fn new(fetcher: Fetcher) -> Self {
        Self { fetcher }
    }

    pub fn queue(&self) -> &str {
        &self.fetcher.queue
    }

    /// A backend for the worker's `restarts`-th start.
    pub fn backend(&self, restarts: usize) -> QueueBackend {
        let mut fetcher = self.fetcher.clone();
        if restarts > 0 {
            fetcher.start_delay =
                RESTART_BACKOFF.delay(u32::try_from(restarts).unwrap_or(u32::MAX));
        }
        QueueBackend::new(fetcher.into_stream())
    }

    /// Claims fetched but never handed to a handler (at shutdown).
    pub fn take_unstarted(&self) -> Vec<(Uuid, i32)> {
        fetch::lock(&self.fetcher.buffer)
            .drain(..)
            .map(|claim| (claim.job.id, claim.job.attempts))
            .collect()
    }

    pub fn health(&self) -> &Arc<RepeatedFailure> {
        &self.fetcher.health
    }
}
