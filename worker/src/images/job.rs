//! The `images.process.v1` job: one uploaded image (a `pending` row) through the pipeline, then
//! `ready` or `rejected` (with its reason). The uploaded original is deleted afterwards: the
//! variants carry no metadata, the original may (GPS position), and a refused file is not kept.

use sqlx::PgPool;

use comptoir_domain::StoreError;
use comptoir_domain::product_images;
use comptoir_jobs::catalogue_cache::CatalogueCache;
use comptoir_jobs::images::ProcessImage;
use comptoir_storage::{Storage, StorageError};

use super::{ImagePipeline, Rejection};
use crate::error::{JobError, JobResult, ResultExt};

pub struct ImageProcessor {
    pub pool: PgPool,
    pub storage: Storage,
    pub pipeline: ImagePipeline,
    /// The catalogue lists ready images: a new one retires its cached pages.
    pub catalogue: CatalogueCache,
}

impl ImageProcessor {
    pub async fn run(&self, job: &ProcessImage) -> JobResult {
        let image = product_images::find(&self.pool, job.image_id)
            .await
            .transient()?
            .ok_or_else(|| {
                JobError::Permanent(anyhow::anyhow!("image {} does not exist", job.image_id))
            })?;
        if image.status != "pending" {
            // Already decided by an earlier run that stopped before the clean-up.
            return self.discard_upload(&image.source_key).await;
        }
        let outcome = match self.storage.get_bytes(&image.source_key).await {
            Ok(bytes) => self.pipeline.prepare(bytes).await?,
            Err(StorageError::NotFound(_)) => Err(Rejection::new(
                "upload_missing",
                "the uploaded file is no longer in storage",
            )),
            Err(error) => return Err(JobError::Transient(error.into())),
        };
        match outcome {
            Ok(prepared) => match product_images::mark_ready(&self.pool, image.id, &prepared).await
            {
                Ok(_) => self.catalogue.bump().await,
                Err(StoreError::Conflict(_)) => {
                    self.reject(
                        image.id,
                        &Rejection::new("duplicate", "the product already has this image"),
                    )
                    .await?;
                }
                Err(error) => return Err(JobError::Transient(error.into())),
            },
            Err(rejection) => self.reject(image.id, &rejection).await?,
        }
        self.discard_upload(&image.source_key).await
    }

    async fn reject(&self, id: uuid::Uuid, rejection: &Rejection) -> JobResult {
        tracing::info!(image_id = %id, code = rejection.code, detail = %rejection.detail, "image rejected");
        product_images::mark_rejected(&self.pool, id, rejection.code, &rejection.detail)
            .await
            .transient()?;
        Ok(())
    }

    async fn discard_upload(&self, key: &str) -> JobResult {
        self.storage.delete(key).await.transient()
    }
}
