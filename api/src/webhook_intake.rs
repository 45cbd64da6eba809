//! Group commit for provider events. Concurrent webhook deliveries are handed to one task that
//! stores each event with its reconciliation job, many deliveries to a transaction: a commit
//! (a WAL flush) per batch instead of one per delivery. Each delivery is still answered only
//! once its own rows are committed, so a 200 always means "stored".

use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use comptoir_domain::StoreError;
use comptoir_domain::payments::events::{self, NewEvent};
use comptoir_jobs::Producer;
use comptoir_jobs::payments::ReconcileEvent;

/// Most deliveries in one transaction; more wait for the next.
const MAX_BATCH: usize = 64;
/// Deliveries waiting for the intake before new ones wait for room.
const QUEUE: usize = 1024;

/// A verified event, owned, on its way to the intake.
pub struct IncomingEvent {
    pub provider: &'static str,
    pub event_key: String,
    pub event_type: String,
    pub payment_id: Option<Uuid>,
    pub payload: serde_json::Value,
}

/// What became of a delivery.
pub enum Stored {
    /// First seen: stored, its reconciliation enqueued.
    New(Uuid),
    /// Stored before (a replay or a redelivery): nothing changed.
    Replay,
}

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("the event intake has stopped")]
    Stopped,
    #[error(transparent)]
    Store(#[from] StoreError),
}

struct Delivery {
    event: IncomingEvent,
    reply: oneshot::Sender<Result<Stored, IntakeError>>,
}

#[derive(Clone)]
pub struct WebhookIntake {
    deliveries: mpsc::Sender<Delivery>,
}

impl WebhookIntake {
    /// The intake and the task that drains it, to run until `stop` (after the server stopped,
    /// so no delivery is left waiting).
    pub fn new(
        pool: PgPool,
        producer: Producer,
        stop: CancellationToken,
    ) -> (Self, impl Future<Output = ()>) {
        let (deliveries, queued) = mpsc::channel(QUEUE);
        let task = drain(pool, producer, queued, stop);
        (Self { deliveries }, task)
    }

    /// Stores `event` (once) with its reconciliation job; returns after the commit.
    pub async fn store(&self, event: IncomingEvent) -> Result<Stored, IntakeError> {
        let (reply, stored) = oneshot::channel();
        self.deliveries
            .send(Delivery { event, reply })
            .await
            .map_err(|_| IntakeError::Stopped)?;
        stored.await.map_err(|_| IntakeError::Stopped)?
    }
}

async fn drain(
    pool: PgPool,
    producer: Producer,
    mut queued: mpsc::Receiver<Delivery>,
    stop: CancellationToken,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            taken = queued.recv_many(&mut batch, MAX_BATCH) => if taken == 0 { break },
        }
        let deliveries: Vec<Delivery> = std::mem::take(&mut batch);
        let events: Vec<&IncomingEvent> = deliveries.iter().map(|d| &d.event).collect();
        match store_batch(&pool, &producer, &events).await {
            Ok(outcomes) => reply_all(deliveries, outcomes),
            // One transaction for all failed: each delivery gets its own, so that whatever
            // went wrong fails only the delivery it belongs to.
            Err(err) => {
                tracing::warn!(error = %err, size = deliveries.len(), "event batch failed: storing one by one");
                for delivery in deliveries {
                    let outcome = store_batch(&pool, &producer, &[&delivery.event])
                        .await
                        .map(|mut one| one.remove(0));
                    let _ = delivery.reply.send(outcome.map_err(IntakeError::from));
                }
            }
        }
    }
}

fn reply_all(deliveries: Vec<Delivery>, outcomes: Vec<Stored>) {
    for (delivery, outcome) in deliveries.into_iter().zip(outcomes) {
        // A delivery whose client hung up has nobody to answer; its rows are committed anyway.
        let _ = delivery.reply.send(Ok(outcome));
    }
}

/// Stores `events` and their jobs in one transaction; an event seen before (even earlier in
/// the same batch) is a replay.
async fn store_batch(
    pool: &PgPool,
    producer: &Producer,
    events: &[&IncomingEvent],
) -> Result<Vec<Stored>, StoreError> {
    let mut tx = pool.begin().await?;
    let mut outcomes = Vec::with_capacity(events.len());
    for event in events {
        let recorded = events::record(
            &mut tx,
            NewEvent {
                provider: event.provider,
                event_key: &event.event_key,
                event_type: &event.event_type,
                payment_id: event.payment_id,
                payload: event.payload.clone(),
            },
        )
        .await?;
        outcomes.push(match recorded {
            Some(event_id) => {
                producer
                    .enqueue(&mut tx, &ReconcileEvent { event_id })
                    .await?;
                Stored::New(event_id)
            }
            None => Stored::Replay,
        });
    }
    producer.commit(tx).await?;
    Ok(outcomes)
}
