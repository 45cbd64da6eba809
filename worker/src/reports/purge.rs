//! Retention (`reports.purge.v1`, scheduled once per tick across replicas): deletes the files of
//! expired reports, then their rows, and the files of expired personal data exports (their rows
//! stay, `expired`). A purge interrupted half-way leaves rows whose file is already gone; the
//! next one deletes them again (deleting a missing file is not an error).

use sqlx::PgPool;

use comptoir_domain::privacy::exports;
use comptoir_domain::reports;
use comptoir_storage::Storage;

use crate::error::{JobResult, ResultExt};

const BATCH: i64 = 500;

pub struct ReportPurger {
    pub pool: PgPool,
    pub storage: Storage,
}

impl ReportPurger {
    pub async fn run(&self) -> JobResult {
        let mut purged = 0;
        loop {
            let expired = reports::expired(&self.pool, BATCH).await.transient()?;
            if expired.is_empty() {
                break;
            }
            for key in expired.iter().filter_map(|(_, key)| key.as_deref()) {
                self.storage.delete(key).await.transient()?;
            }
            let ids: Vec<_> = expired.iter().map(|(id, _)| *id).collect();
            purged += reports::delete(&self.pool, &ids).await.transient()?;
        }
        let exports = self.purge_exports().await?;
        tracing::info!(purged, exports, "expired reports and data exports purged");
        Ok(())
    }

    async fn purge_exports(&self) -> Result<u64, crate::error::JobError> {
        let mut purged = 0;
        loop {
            let expired = exports::expired(&self.pool, BATCH).await.transient()?;
            if expired.is_empty() {
                return Ok(purged);
            }
            for (_, key) in &expired {
                self.storage.delete(key).await.transient()?;
            }
            let ids: Vec<_> = expired.iter().map(|(id, _)| *id).collect();
            purged += exports::mark_expired(&self.pool, &ids).await.transient()?;
        }
    }
}
