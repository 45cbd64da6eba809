//! Shop snapshots: the shop and its products as one JSON document in object storage
//! (`snapshots/shops/<shop>/<requested_at>.json`). Products are streamed from Postgres into a
//! local temporary file, then streamed into storage, so memory stays flat whatever the shop's
//! size; the stored object appears only when complete, and a re-run simply rewrites it.

use futures::TryStreamExt;
use sqlx::PgPool;
use tokio::io::{AsyncWriteExt, BufWriter};

use comptoir_domain::products::{self, ProductView};
use comptoir_domain::shops;
use comptoir_jobs::shops::ShopSnapshot;
use comptoir_storage::Storage;

use crate::error::{JobError, JobResult, ResultExt};

pub struct Snapshotter {
    pub pool: PgPool,
    pub storage: Storage,
}

impl Snapshotter {
    /// The storage key of the snapshot of `job`.
    pub fn key_of(job: &ShopSnapshot) -> String {
        let name: String = job
            .requested_at
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        format!("snapshots/shops/{}/{name}.json", job.shop_id)
    }

    pub async fn run(&self, job: &ShopSnapshot) -> JobResult {
        let shop = shops::find(&self.pool, job.shop_id)
            .await
            .transient()?
            .ok_or_else(|| {
                JobError::Permanent(anyhow::anyhow!("shop {} does not exist", job.shop_id))
            })?;
        let key = Self::key_of(job);
        let local = tempfile::NamedTempFile::new().transient()?;
        let mut file = BufWriter::new(tokio::fs::File::create(local.path()).await.transient()?);
        file.write_all(b"{\"shop\":").await.transient()?;
        file.write_all(&serde_json::to_vec(&shop).permanent()?)
            .await
            .transient()?;
        file.write_all(b",\"products\":[").await.transient()?;
        let mut products = products::stream_of_shop(&self.pool, job.shop_id);
        let mut count = 0_u64;
        while let Some(product) = products.try_next().await.transient()? {
            if count > 0 {
                file.write_all(b",").await.transient()?;
            }
            file.write_all(&serde_json::to_vec(&ProductView::from(product)).permanent()?)
                .await
                .transient()?;
            count += 1;
        }
        file.write_all(b"]}\n").await.transient()?;
        file.flush().await.transient()?;
        self.storage
            .put_file(&key, local.path())
            .await
            .transient()?;
        tracing::info!(shop_id = %job.shop_id, products = count, key, "shop snapshot written");
        Ok(())
    }
}
