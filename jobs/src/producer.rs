//! Typed enqueue: a job row is written in the caller's transaction (the outbox), so a job exists
//! if and only if the business write committed.

use std::collections::BTreeMap;
use std::sync::Arc;

use sqlx::{PgConnection, Postgres, Transaction};
use tokio::sync::Notify;
use uuid::Uuid;

use comptoir_domain::config::Settings;
use comptoir_domain::ledger::{self, NewJob};
use comptoir_domain::{StoreError, StoreResult};

use crate::Job;
use crate::metrics::JobLabels;

#[derive(Clone)]
pub struct Producer {
    max_attempts: Arc<BTreeMap<String, u32>>,
    default_max_attempts: u32,
    relay_kick: Arc<Notify>,
}

impl Producer {
    pub fn new(settings: &Settings) -> Self {
        let max_attempts = settings
            .jobs
            .queues
            .keys()
            .map(|queue| (queue.clone(), settings.queue_max_attempts(queue)))
            .collect();
        Self {
            max_attempts: Arc::new(max_attempts),
            default_max_attempts: settings.jobs.max_attempts,
            relay_kick: Arc::new(Notify::new()),
        }
    }

    /// Wakes the relay that serves this producer.
    pub fn kicker(&self) -> Arc<Notify> {
        self.relay_kick.clone()
    }

    fn new_job<J: Job>(&self, job: &J, unique_key: Option<String>) -> StoreResult<NewJob<'static>> {
        let payload = serde_json::to_value(job)
            .map_err(|err| StoreError::Database(sqlx::Error::Encode(err.into())))?;
        Ok(NewJob {
            queue: J::QUEUE,
            kind: J::KIND,
            payload,
            max_attempts: self
                .max_attempts
                .get(J::QUEUE)
                .copied()
                .unwrap_or(self.default_max_attempts),
            unique_key,
        })
    }

    /// Adds `job` to the outbox inside `tx`. Commit with [`Producer::commit`].
    pub async fn enqueue<J: Job>(&self, tx: &mut PgConnection, job: &J) -> StoreResult<Uuid> {
        let id = insert_counted::<J>(tx, self.new_job(job, None)?).await?;
        id.ok_or_else(|| StoreError::Conflict("jobs_unique_key_idx".to_owned()))
    }

    /// Like [`Producer::enqueue`], but at most one job ever exists for `unique_key`: `None` when
    /// it already does.
    pub async fn enqueue_unique<J: Job>(
        &self,
        tx: &mut PgConnection,
        job: &J,
        unique_key: String,
    ) -> StoreResult<Option<Uuid>> {
        insert_counted::<J>(tx, self.new_job(job, Some(unique_key))?).await
    }

    /// Commits the transaction and has the relay push its jobs to Redis right away.
    pub async fn commit(&self, tx: Transaction<'_, Postgres>) -> Result<(), sqlx::Error> {
        tx.commit().await?;
        self.relay_kick.notify_one();
        Ok(())
    }
}

/// Inserts the job and counts it (a job the unique key refused is not counted; one whose
/// transaction rolls back is: the counter tells enqueue attempts that reached the ledger).
async fn insert_counted<J: Job>(
    tx: &mut PgConnection,
    job: NewJob<'static>,
) -> StoreResult<Option<Uuid>> {
    let id = ledger::insert(tx, job).await?;
    if id.is_some() {
        JobLabels::new(J::QUEUE, J::KIND).enqueued();
    }
    Ok(id)
}
