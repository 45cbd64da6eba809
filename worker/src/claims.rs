//! The claim book: every claim this process holds, its lease and its outcome. One task owns it
//! and speaks to the ledger in batches: all leases renewed in one statement every third of the
//! lease, outcomes recorded many per statement as they arrive. A claim leaves the book only once
//! its outcome is durable, so its lease is kept alive until then; if the process dies first, the
//! lease expires and the job runs again (handlers are idempotent).

use std::collections::HashMap;
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use comptoir_domain::ledger::{self, ClaimedJob, FinishedRun};
use comptoir_jobs::RepeatedFailure;

use crate::retry::Backoff;

/// Outcomes waiting at once before handlers wait for the book (backpressure).
const CHANNEL_CAPACITY: usize = 8192;
/// Most outcomes per statement.
const FLUSH_LIMIT: usize = 2000;
/// How long a shutdown keeps trying to record what is left.
const SHUTDOWN_FLUSH: Duration = Duration::from_secs(10);

/// A claimed job as handed to the handler: `lost` fires if the book finds its lease taken
/// over, and the run then stops so two runs never overlap; `cancel` fires when an admin asked
/// the run to stop (seen at a lease renewal).
#[derive(Debug, Clone)]
pub struct Claim {
    pub job: ClaimedJob,
    pub lost: CancellationToken,
    pub cancel: CancellationToken,
}

enum Entry {
    Held(Vec<(Uuid, Held)>),
    Finished(FinishedRun),
    /// Claims that never reached a handler (a consumer's buffer at shutdown).
    ReleaseUnstarted(Vec<(Uuid, i32)>),
    Shutdown(oneshot::Sender<()>),
}

/// A handle on the book; cheap to clone.
#[derive(Clone)]
pub struct ClaimBook {
    entries: mpsc::Sender<Entry>,
}

impl ClaimBook {
    /// Starts the book's task.
    pub fn start(pool: PgPool, worker: String, lease: Duration, log_repeat: Duration) -> Self {
        let (entries, inbox) = mpsc::channel(CHANNEL_CAPACITY);
        let book = Book {
            pool,
            worker,
            lease,
            held: HashMap::new(),
            pending: Vec::new(),
            failures: RepeatedFailure::new("claim book", log_repeat),
        };
        tokio::spawn(book.run(inbox));
        Self { entries }
    }

    /// Takes `jobs` into the book; returns them as claims for the handlers.
    pub async fn hold(&self, jobs: Vec<ClaimedJob>) -> Vec<Claim> {
        let claims: Vec<Claim> = jobs
            .into_iter()
            .map(|job| Claim {
                job,
                lost: CancellationToken::new(),
                cancel: CancellationToken::new(),
            })
            .collect();
        let held = claims
            .iter()
            .map(|claim| {
                let held = Held {
                    attempts: claim.job.attempts,
                    lost: claim.lost.clone(),
                    cancel: claim.cancel.clone(),
                };
                (claim.job.id, held)
            })
            .collect();
        self.send(Entry::Held(held)).await;
        claims
    }

    pub async fn finished(&self, run: FinishedRun) {
        self.send(Entry::Finished(run)).await;
    }

    pub async fn release_unstarted(&self, claims: Vec<(Uuid, i32)>) {
        if !claims.is_empty() {
            self.send(Entry::ReleaseUnstarted(claims)).await;
        }
    }

    /// Records what is pending, hands back the claims still held, and stops the book.
    pub async fn shutdown(&self) {
        let (done, wait) = oneshot::channel();
        self.send(Entry::Shutdown(done)).await;
        let _ = wait.await;
    }

    async fn send(&self, entry: Entry) {
        // Fails only once the book has stopped at shutdown; the lease covers what is left.
        let _ = self.entries.send(entry).await;
    }
}

struct Held {
    attempts: i32,
    lost: CancellationToken,
    cancel: CancellationToken,
}

struct Book {
    pool: PgPool,
    worker: String,
    lease: Duration,
    held: HashMap<Uuid, Held>,
    pending: Vec<FinishedRun>,
    failures: RepeatedFailure,
}

impl Book {
    async fn run(mut self, mut inbox: mpsc::Receiver<Entry>) {
        let mut renew = tokio::time::interval(self.lease / 3);
        renew.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let backoff = Backoff {
            base: Duration::from_millis(50),
            max: Duration::from_secs(5),
        };
        let mut failures = 0;
        loop {
            tokio::select! {
                entry = inbox.recv() => {
                    let Some(entry) = entry else { return };
                    if let Some(done) = self.apply(entry).await {
                        self.stop(done).await;
                        return;
                    }
                    while self.pending.len() < FLUSH_LIMIT {
                        let Ok(entry) = inbox.try_recv() else { break };
                        if let Some(done) = self.apply(entry).await {
                            self.stop(done).await;
                            return;
                        }
                    }
                }
                _ = renew.tick() => self.renew().await,
            }
            if self.flush().await {
                failures = 0;
            } else {
                failures += 1;
                tokio::time::sleep(backoff.delay(failures)).await;
            }
        }
    }

    /// Applies one entry; `Some` when it asks the book to stop.
    async fn apply(&mut self, entry: Entry) -> Option<oneshot::Sender<()>> {
        match entry {
            Entry::Held(claims) => {
                self.held.extend(claims);
            }
            Entry::Finished(run) => self.pending.push(run),
            Entry::ReleaseUnstarted(claims) => {
                for (id, _) in &claims {
                    self.held.remove(id);
                }
                self.release(&claims, false).await;
            }
            Entry::Shutdown(done) => return Some(done),
        }
        None
    }

    /// Records pending outcomes; false when the ledger could not be reached.
    async fn flush(&mut self) -> bool {
        if self.pending.is_empty() {
            return true;
        }
        match ledger::finish_batch(&self.pool, &self.worker, &self.pending).await {
            Ok(_) => {
                for run in self.pending.drain(..) {
                    self.held.remove(&run.id);
                }
                self.failures.succeeded();
                true
            }
            Err(err) => {
                self.failures.failed(&err);
                false
            }
        }
    }

    async fn renew(&mut self) {
        let claims: Vec<(Uuid, i32)> = self
            .held
            .iter()
            .map(|(id, held)| (*id, held.attempts))
            .collect();
        if claims.is_empty() {
            return;
        }
        match ledger::renew_leases(&self.pool, &self.worker, &claims, self.lease).await {
            Ok(renewed) => {
                let renewed: HashMap<Uuid, bool> = renewed
                    .into_iter()
                    .map(|claim| (claim.id, claim.cancel_requested))
                    .collect();
                self.held.retain(|id, held| match renewed.get(id) {
                    Some(true) => {
                        held.cancel.cancel();
                        true
                    }
                    Some(false) => true,
                    None => {
                        tracing::warn!(job_id = %id, "lease lost: the job was taken over; its run stops");
                        held.lost.cancel();
                        false
                    }
                });
            }
            Err(err) => self.failures.failed(&err),
        }
    }

    async fn release(&self, claims: &[(Uuid, i32)], started: bool) {
        if let Err(err) = ledger::release_claims(&self.pool, &self.worker, claims, started).await {
            tracing::warn!(error = %err, claims = claims.len(), "could not hand claims back; their leases will expire");
        }
    }

    /// At shutdown: records what it can within a bounded time, then hands back the claims whose
    /// run did not finish, so another worker takes them now rather than after the lease.
    async fn stop(mut self, done: oneshot::Sender<()>) {
        let deadline = tokio::time::Instant::now() + SHUTDOWN_FLUSH;
        while !self.flush().await && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let unfinished: Vec<(Uuid, i32)> = self
            .held
            .iter()
            .filter(|(id, _)| !self.pending.iter().any(|run| run.id == **id))
            .map(|(id, held)| (*id, held.attempts))
            .collect();
        self.release(&unfinished, true).await;
        let _ = done.send(());
    }
}
