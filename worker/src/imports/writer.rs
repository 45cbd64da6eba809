//! Writes one batch of parsed rows in one transaction: the shop is locked (so its item limit
//! holds against concurrent creations), SKUs already seen in the file are refused, new products
//! are inserted within the limit, changed ones updated, and the row errors and counters are
//! recorded with them, and the rows' prepared images attached. A dry run does the same writes
//! inside a savepoint it rolls back, so it reports exactly what a real run would do — except
//! for the rows' images, which it only checks for presence.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use sqlx::PgConnection;
use uuid::Uuid;

use comptoir_domain::imports::batch::{self, Existing, ProductRow, Progress};
use comptoir_domain::imports::{Import, RowError};
use comptoir_domain::{new_id, product_images, products};

use super::archive::ImageArchive;
use super::images::BatchImages;
use super::{Candidate, Importer, Outcome, Parsed, Unit};
use crate::error::{JobError, ResultExt};

pub struct BatchWriter<'a> {
    importer: &'a Importer,
    import: &'a Import,
    archive: Option<Arc<Mutex<ImageArchive>>>,
    /// Products a dry run would have created so far: nothing is written, yet they count
    /// against the item limit of the batches that follow.
    dry_created: i64,
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
            dry_created: 0,
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

        let mut tx = self.importer.pool.begin().await.transient()?;
        let item_limit = products::lock_shop(&mut tx, self.import.shop_id)
            .await
            .transient()?
            .map(|(_, limit)| i64::from(limit))
            .ok_or_else(|| Outcome::Refused("the shop no longer exists".to_owned()))?;
        let candidates = self
            .claim(&mut tx, candidates, &mut errors, &mut progress)
            .await?;
        let live = products::count_live(&mut tx, self.import.shop_id)
            .await
            .transient()?;
        let room = item_limit - live - self.dry_created;
        let plan = self
            .plan(&mut tx, &candidates, room, &mut errors, &mut progress)
            .await?;
        if self.import.dry_run {
            let mut savepoint = sqlx::Connection::begin(&mut *tx).await.transient()?;
            self.write(&mut savepoint, &plan, &mut progress).await?;
            savepoint.rollback().await.transient()?;
            self.dry_created += i64::from(progress.created);
        } else {
            self.write(&mut tx, &plan, &mut progress).await?;
        }
        batch::record_errors(
            &mut tx,
            self.import.id,
            &errors,
            self.importer.settings.max_stored_errors,
        )
        .await
        .transient()?;
        batch::advance(&mut tx, self.import.id, progress)
            .await
            .transient()?;
        tx.commit().await.transient()?;
        if !self.import.dry_run {
            self.importer.catalogue.bump().await;
        }
        Ok(())
    }

    /// Claims the batch's SKUs for this import; a SKU an earlier line took fails its row.
    async fn claim(
        &self,
        tx: &mut PgConnection,
        candidates: Vec<Candidate>,
        errors: &mut Vec<RowError>,
        progress: &mut Progress,
    ) -> Result<Vec<Candidate>, JobError> {
        let skus: Vec<&str> = candidates.iter().map(|c| c.row.sku.as_str()).collect();
        let lines: Vec<i64> = candidates.iter().map(|c| c.row.line).collect();
        let claimed = batch::claim_skus(tx, self.import.id, &skus, &lines)
            .await
            .transient()?;
        let (kept, duplicates): (Vec<Candidate>, Vec<Candidate>) = candidates
            .into_iter()
            .partition(|c| claimed.contains(&c.row.line));
        for duplicate in duplicates {
            progress.failed += 1;
            errors.push(row_error(
                &duplicate.row,
                "sku",
                format!(
                    "SKU {:?} already appears on an earlier line",
                    duplicate.row.sku
                ),
            ));
        }
        Ok(kept)
    }

    /// Splits the rows into updates of live products and creations (new SKUs, or deleted
    /// products revived), refusing creations beyond the shop's room.
    async fn plan(
        &self,
        tx: &mut PgConnection,
        candidates: &'a [Candidate],
        mut room: i64,
        errors: &mut Vec<RowError>,
        progress: &mut Progress,
    ) -> Result<Plan<'a>, JobError> {
        let skus: Vec<&str> = candidates.iter().map(|c| c.row.sku.as_str()).collect();
        let existing = batch::existing(tx, self.import.shop_id, &skus)
            .await
            .transient()?;
        let mut plan = Plan::default();
        for candidate in candidates {
            match existing.get(&candidate.row.sku) {
                Some(Existing { id, deleted: false }) => plan.updates.push((*id, candidate)),
                found if room > 0 => {
                    room -= 1;
                    match found {
                        Some(Existing { id, .. }) => plan.revivals.push((*id, candidate)),
                        None => plan.creations.push((new_id(), candidate)),
                    }
                }
                _ => {
                    progress.failed += 1;
                    errors.push(row_error(
                        &candidate.row,
                        "sku",
                        "item_limit_reached: the shop's item limit allows no more products",
                    ));
                }
            }
        }
        Ok(plan)
    }

    async fn write(
        &self,
        tx: &mut PgConnection,
        plan: &Plan<'_>,
        progress: &mut Progress,
    ) -> Result<(), JobError> {
        let shop_id = self.import.shop_id;
        let (ids, rows) = columns(&plan.creations);
        batch::insert_new(tx, shop_id, &ids, &rows)
            .await
            .transient()?;
        let (ids, rows) = columns(&plan.revivals);
        batch::update_changed(tx, shop_id, &ids, &rows)
            .await
            .transient()?;
        let (ids, rows) = columns(&plan.updates);
        let changed: HashSet<Uuid> = batch::update_changed(tx, shop_id, &ids, &rows)
            .await
            .transient()?;
        progress.created += (plan.creations.len() + plan.revivals.len()) as i32;
        progress.updated += changed.len() as i32;
        let source_key = self.import.images_key.as_deref().unwrap_or_default();
        for (product_id, candidate) in plan.all() {
            for (position, image) in candidate.prepared.iter().enumerate() {
                product_images::attach(tx, product_id, position as i32, source_key, image)
                    .await
                    .transient()?;
            }
        }
        Ok(())
    }
}

/// The batch's rows by what happens to them, each with its product id.
#[derive(Default)]
struct Plan<'a> {
    creations: Vec<(Uuid, &'a Candidate)>,
    revivals: Vec<(Uuid, &'a Candidate)>,
    updates: Vec<(Uuid, &'a Candidate)>,
}

impl Plan<'_> {
    fn all(&self) -> impl Iterator<Item = (Uuid, &Candidate)> {
        self.creations
            .iter()
            .chain(&self.revivals)
            .chain(&self.updates)
            .map(|(id, candidate)| (*id, *candidate))
    }
}

fn columns<'c>(rows: &[(Uuid, &'c Candidate)]) -> (Vec<Uuid>, Vec<&'c ProductRow>) {
    rows.iter().map(|(id, c)| (*id, &c.row)).unzip()
}

fn row_error(row: &ProductRow, column: &str, reason: impl Into<String>) -> RowError {
    RowError {
        line: row.line,
        column: column.to_owned(),
        reason: reason.into(),
    }
}
