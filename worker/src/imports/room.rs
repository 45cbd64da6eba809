//! The shop's room under its item limit, batch after batch of one import.
//!
//! Counting the shop's live products in every batch grew with the shop: a million-row import
//! spent most of its time there. So the count is taken once and carried forward. Each batch
//! locks the shop's catalogue, as every writer of its products does, which bumps the shop's
//! `catalogue_version`. If the version a batch gets is one past the previous batch's, nobody
//! else has held the lock in between, so nobody else has created or deleted a product and the
//! carried count is exact. Otherwise the batch counts again, under the lock. Either way the
//! count is exact while the batch holds the lock, so the limit holds against concurrent
//! creations as it did with a count per batch.

use sqlx::PgConnection;
use uuid::Uuid;

use comptoir_domain::products;

use super::Outcome;
use crate::error::ResultExt;

#[derive(Default)]
pub struct Room {
    /// The catalogue version of the last committed batch and the live count after it.
    carried: Option<(i64, i64)>,
    /// Products a dry run would have created so far: nothing is written, yet they count
    /// against the item limit of the batches that follow.
    dry_created: i64,
}

/// One batch's hold on the catalogue lock: how many more live products it may add.
pub struct Lease {
    version: i64,
    live: i64,
    pub room: i64,
}

impl Room {
    /// Locks the shop's catalogue for the batch's transaction.
    pub async fn lock(&self, tx: &mut PgConnection, shop_id: Uuid) -> Result<Lease, Outcome> {
        let lock = products::lock_catalogue(tx, shop_id)
            .await
            .transient()?
            .ok_or_else(|| Outcome::Refused("the shop no longer exists".to_owned()))?;
        let live = match self.carried {
            Some((version, live)) if version + 1 == lock.catalogue_version => live,
            _ => products::count_live(tx, shop_id).await.transient()?,
        };
        Ok(Lease {
            version: lock.catalogue_version,
            live,
            room: i64::from(lock.item_limit) - live - self.dry_created,
        })
    }

    /// Carries the count past the batch of `lease`, once committed, which added `created` live
    /// products (or, in a dry run, would have).
    pub fn committed(&mut self, lease: Lease, created: i64, dry_run: bool) {
        let live = if dry_run {
            self.dry_created += created;
            lease.live
        } else {
            lease.live + created
        };
        self.carried = Some((lease.version, live));
    }
}
