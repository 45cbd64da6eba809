//! The shop-expiry sweep. Safe with any number of replicas: blocking is one `UPDATE … RETURNING`
//! (each shop is returned to one sweep), and every email is a job with a per-period unique key
//! (`shop-expired:<shop>:<end>`, `shop-expiring:<shop>:<end>`), so each goes out once per paid
//! period. An admin who extends a shop starts a new period, with its own reminder.

use sqlx::PgPool;

use comptoir_domain::StoreResult;
use comptoir_domain::shops::{self, SweptShop};
use comptoir_jobs::Producer;
use comptoir_jobs::catalogue_cache::CatalogueCache;
use comptoir_jobs::email::{EmailMessage, SendEmail};

use crate::error::{JobResult, ResultExt};

/// Owners are reminded this many days before their period ends.
pub const REMINDER_DAYS: i32 = 3;

pub struct ShopSweeper {
    pub pool: PgPool,
    pub producer: Producer,
    /// Blocked shops leave the catalogue: its cached pages are retired.
    pub catalogue: CatalogueCache,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub blocked: usize,
    pub reminders: usize,
}

impl ShopSweeper {
    pub async fn sweep(&self) -> StoreResult<SweepReport> {
        let mut tx = self.pool.begin().await?;
        let expired = shops::block_expired(&mut tx).await?;
        for shop in &expired {
            self.notify(&mut tx, shop, "shop-expired", |shop| {
                EmailMessage::ShopExpired {
                    name: shop.owner_name.clone(),
                    shop_name: shop.name.clone(),
                }
            })
            .await?;
        }
        let ending = shops::ending_within(&mut tx, REMINDER_DAYS).await?;
        let mut reminders = 0;
        for shop in &ending {
            reminders += usize::from(
                self.notify(&mut tx, shop, "shop-expiring", |shop| {
                    EmailMessage::ShopExpiring {
                        name: shop.owner_name.clone(),
                        shop_name: shop.name.clone(),
                        end_date: shop.end_date.to_rfc3339(),
                    }
                })
                .await?,
            );
        }
        self.producer.commit(tx).await?;
        if !expired.is_empty() {
            self.catalogue.bump().await;
        }
        Ok(SweepReport {
            blocked: expired.len(),
            reminders,
        })
    }

    /// Enqueues the owner's email unless this shop and period already had it; true if enqueued.
    async fn notify(
        &self,
        tx: &mut sqlx::PgConnection,
        shop: &SweptShop,
        purpose: &str,
        message: impl Fn(&SweptShop) -> EmailMessage,
    ) -> StoreResult<bool> {
        let Some(to) = shop.owner_email.clone() else {
            tracing::warn!(shop_id = %shop.id, "shop owner has no email address; not notified");
            return Ok(false);
        };
        let key = format!("{purpose}:{}:{}", shop.id, shop.end_date.timestamp());
        let email = SendEmail {
            to,
            dedupe_key: key.clone(),
            message: message(shop),
        };
        let enqueued = self.producer.enqueue_unique(tx, &email, key).await?;
        Ok(enqueued.is_some())
    }

    pub async fn run(&self) -> JobResult {
        let report = self.sweep().await.transient()?;
        tracing::info!(
            blocked = report.blocked,
            reminders = report.reminders,
            "shop expiry sweep done"
        );
        Ok(())
    }
}
