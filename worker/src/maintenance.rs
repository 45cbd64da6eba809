//! Housekeeping: prunes old succeeded jobs from the ledger. (Redis needs no vacuum: a message
//! leaves it when a consumer pops it.)

use sqlx::PgPool;

use comptoir_domain::ledger;
use comptoir_jobs::maintenance::Housekeeping;

use crate::error::{JobResult, ResultExt};

pub struct Housekeeper {
    pub pool: PgPool,
    pub ledger_retention_days: u32,
}

impl Housekeeper {
    pub async fn run(&self, job: &Housekeeping) -> JobResult {
        let pruned = ledger::purge_succeeded(&self.pool, self.ledger_retention_days)
            .await
            .transient()?;
        tracing::info!(tick = %job.tick, pruned, "housekeeping done");
        Ok(())
    }
}
