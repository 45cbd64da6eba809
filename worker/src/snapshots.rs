//! Shop snapshots: the shop and its products as one JSON document in object storage
//! (`<storage root>/snapshots/shops/<shop>/<requested_at>.json`). Products are streamed from
//! Postgres into the file, so memory stays flat whatever the shop's size; the file is written
//! under a temporary name and renamed, so a reader never sees half a snapshot and a re-run
//! simply rewrites it.

use std::path::{Path, PathBuf};

use futures::TryStreamExt;
use sqlx::PgPool;
use tokio::io::{AsyncWriteExt, BufWriter};

use comptoir_domain::products::{self, ProductView};
use comptoir_domain::shops;
use comptoir_jobs::shops::ShopSnapshot;

use crate::error::{JobError, JobResult, ResultExt};

pub struct Snapshotter {
    pub pool: PgPool,
    pub storage_root: PathBuf,
}

impl Snapshotter {
    /// Where the snapshot of `job` lands.
    pub fn path_of(storage_root: &Path, job: &ShopSnapshot) -> PathBuf {
        let name: String = job
            .requested_at
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        storage_root
            .join("snapshots/shops")
            .join(job.shop_id.to_string())
            .join(format!("{name}.json"))
    }

    pub async fn run(&self, job: &ShopSnapshot) -> JobResult {
        let shop = shops::find(&self.pool, job.shop_id)
            .await
            .transient()?
            .ok_or_else(|| {
                JobError::Permanent(anyhow::anyhow!("shop {} does not exist", job.shop_id))
            })?;
        let path = Self::path_of(&self.storage_root, job);
        let partial = path.with_extension("json.partial");
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.transient()?;
        }
        let mut file = BufWriter::new(tokio::fs::File::create(&partial).await.transient()?);
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
        file.into_inner().sync_all().await.transient()?;
        tokio::fs::rename(&partial, &path).await.transient()?;
        tracing::info!(shop_id = %job.shop_id, products = count, path = %path.display(), "shop snapshot written");
        Ok(())
    }
}
