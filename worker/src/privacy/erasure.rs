//! `privacy.erase.v1` (maintenance queue): the database is scrubbed in one transaction that
//! also records the stored files left to delete; the files are deleted after it, and the
//! erasure marked done. A crash before the commit leaves nothing done; after it, the next run
//! finds the list and deletes the files (deleting a missing one is not an error).

use comptoir_domain::PgPool;
use comptoir_domain::privacy::erasure::{self, Progress};
use comptoir_jobs::privacy::EraseUser;
use comptoir_storage::Storage;

use crate::error::{JobError, JobResult, ResultExt};

pub struct Eraser {
    pub pool: PgPool,
    pub storage: Storage,
}

impl Eraser {
    pub async fn run(&self, job: &EraseUser) -> JobResult {
        let user_id = job.user_id;
        let keys = match erasure::scrub(&self.pool, user_id).await.transient()? {
            Progress::Unknown => {
                return Err(JobError::Permanent(anyhow::anyhow!(
                    "no erasure was asked for user {user_id}"
                )));
            }
            Progress::Done => return Ok(()),
            Progress::FilesLeft(keys) => keys,
        };
        for key in &keys {
            self.storage.delete(key).await.transient()?;
        }
        erasure::finish(&self.pool, user_id).await.transient()?;
        tracing::info!(%user_id, files = keys.len(), "personal data erased");
        Ok(())
    }
}
