//! Housekeeping: vacuums finished tasks out of Redis (apalis keeps their data until told) and
//! prunes old succeeded jobs from the ledger.

use apalis_core::backend::Vacuum;
use apalis_redis::Config;
use serde_json::Value;
use sqlx::PgPool;

use comptoir_domain::ledger;
use comptoir_jobs::maintenance::Housekeeping;
use comptoir_jobs::{RedisTransport, queues};

use crate::error::{JobResult, ResultExt};

pub struct Housekeeper {
    pub pool: PgPool,
    pub transport: RedisTransport,
    pub ledger_retention_days: u32,
}

impl Housekeeper {
    pub async fn run(&self, job: &Housekeeping) -> JobResult {
        let mut vacuumed = 0;
        for queue in queues::ALL {
            let mut storage = self
                .transport
                .storage::<Value>(queue, Config::default())
                .await
                .transient()?;
            vacuumed += storage.vacuum().await.transient()?;
            // Vacuum deletes task data but leaves their ids in the done and dead sets, which
            // only apalis's statistics read; the ledger is the record.
            let keys = Config::default().queue(self.transport.queue_key(queue));
            let mut connection = self.transport.connection().await.transient()?;
            redis::cmd("DEL")
                .arg(keys.done_jobs_set())
                .arg(keys.dead_jobs_set())
                .query_async::<()>(&mut connection)
                .await
                .transient()?;
        }
        let pruned = ledger::purge_succeeded(&self.pool, self.ledger_retention_days)
            .await
            .transient()?;
        tracing::info!(tick = %job.tick, vacuumed, pruned, "housekeeping done");
        Ok(())
    }
}
