//! Writes one batch of parsed rows in one transaction. The rows are loaded by COPY into a
//! staging table and merged set-wise (see `comptoir_domain::imports::merge`): SKUs an earlier
//! line of the file wrote are refused, new products inserted within the shop's room ([`Room`]),
//! changed ones updated, deleted ones revived, and the row errors and counters recorded with
//! them, and the rows' prepared images attached. A dry run does the same writes inside a
//! savepoint it rolls back, so it reports exactly what a real run would do — except for the
//! rows' images, which it only checks for presence.

use std::sync::{Arc, Mutex};

use sqlx::{Connection, PgConnection};

use comptoir_domain::imports::batch::{self, Progress};
use comptoir_domain::imports::merge::{self, Written};
use comptoir_domain::imports::{Import, RowError, staging};
use comptoir_domain::product_images;

use super::archive::ImageArchive;
use super::images::BatchImages;
use super::room::Room;
use super::{Candidate, Importer, Outcome, Parsed, Unit};
use crate::error::{JobError, ResultExt};

pub struct BatchWriter<'a> {
    importer: &'a Importer,
    import: &'a Import,
    archive: Option<Arc<Mutex<ImageArchive>>>,
    room: Room,
}

impl<'a> BatchWriter<'a> {
    pub fn new(
        importer: &'a Importer,
        import: &'a Import,
        archive: Option<Arc<Mutex<ImageArchive>>>,
    ) -> Self {
        Self {
            importer,
            import,
            archive,
            room: Room::default(),
        }
    }

    pub async fn commit(&mut self, units: Vec<Unit>) -> Result<(), Outcome> {
        let mut progress = Progress::default();
        let mut errors = Vec::new();
        let mut candidates = Vec::new();
        for unit in units {
            progress.processed += unit.records as i32;
            match unit.parsed {
                Parsed::Product(candidate) => candidates.push(*candidate),
                Parsed::Failed(problems) => {
                    progress.failed += 1;
                    errors.extend(problems);
                }
            }
        }
        let images = BatchImages {
            archive: self.archive.as_ref(),
            pipeline: &self.importer.pipeline,
            dry_run: self.import.dry_run,
        };
        let (candidates, failed) = images.prepare(candidates).await?;
        progress.failed += failed.len() as i32;
        errors.extend(failed.into_iter().flatten());

        let (import_id, shop_id) = (self.import.id, self.import.shop_id);
        let mut tx = self.importer.pool.begin().await.transient()?;
        let lease = self.room.lock(&mut tx, shop_id).await?;
        let rows: Vec<_> = candidates.iter().map(|c| &c.row).collect();
        staging::load(&mut tx, &rows).await.transient()?;
        let before_merge = errors.len();
        merge::resolve(&mut tx, shop_id, import_id)
            .await
            .transient()?;
        for (line, sku) in merge::refuse_repeats(&mut tx, import_id)
            .await
            .transient()?
        {
            let reason = format!("SKU {sku:?} already appears on an earlier line");
            errors.push(sku_error(line, reason));
        }
        for line in merge::refuse_past(&mut tx, lease.room).await.transient()? {
            let reason = "item_limit_reached: the shop's item limit allows no more products";
            errors.push(sku_error(line, reason.to_owned()));
        }
        merge::remember(&mut tx, import_id, self.import.dry_run)
            .await
            .transient()?;
        progress.failed += (errors.len() - before_merge) as i32;
        let written = if self.import.dry_run {
            let mut savepoint = tx.begin().await.transient()?;
            let written = self.write(&mut savepoint, &candidates).await?;
            savepoint.rollback().await.transient()?;
            written
        } else {
            self.write(&mut tx, &candidates).await?
        };
        progress.created += written.created as i32;
        progress.updated += written.updated as i32;
        batch::record_errors(
            &mut tx,
            import_id,
            &errors,
            self.importer.settings.max_stored_errors,
        )
        .await
        .transient()?;
        batch::advance(&mut tx, import_id, progress)
            .await
            .transient()?;
        tx.commit().await.transient()?;
        self.room
            .committed(lease, written.created, self.import.dry_run);
        if !self.import.dry_run {
            self.importer.catalogue.bump().await;
        }
        Ok(())
    }

    /// Merges the staged rows into the catalogue and attaches their prepared images.
    async fn write(
        &self,
        tx: &mut PgConnection,
        candidates: &[Candidate],
    ) -> Result<Written, JobError> {
        let written = merge::write(tx, self.import.shop_id, self.import.id)
            .await
            .transient()?;
        let with_images: Vec<&Candidate> = candidates
            .iter()
            .filter(|c| !c.prepared.is_empty())
            .collect();
        if with_images.is_empty() {
            return Ok(written);
        }
        let lines: Vec<i64> = with_images.iter().map(|c| c.row.line).collect();
        let products = staging::product_ids(tx, &lines).await.transient()?;
        let source_key = self.import.images_key.as_deref().unwrap_or_default();
        for candidate in with_images {
            // A row refused by the merge has no product, and its images stay unattached.
            let Some(&product_id) = products.get(&candidate.row.line) else {
                continue;
            };
            for (position, image) in candidate.prepared.iter().enumerate() {
                product_images::attach(tx, product_id, position as i32, source_key, image)
                    .await
                    .transient()?;
            }
        }
        Ok(written)
    }
}

fn sku_error(line: i64, reason: String) -> RowError {
    RowError {
        line,
        column: "sku".to_owned(),
        reason,
    }
}
