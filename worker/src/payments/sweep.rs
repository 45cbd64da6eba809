//! `payments.sweep.v1`, once per tick across replicas: re-queries of stale open payments (one
//! job each, unique per tick) and the cancellation of orders left unpaid, stock returned.

use comptoir_domain::payments::sweep;
use comptoir_jobs::payments::{PaymentSweep, RequeryPayment};

use super::PaymentDesk;
use crate::error::{JobResult, ResultExt};

/// Most payments re-queried and orders cancelled by one sweep; the next tick takes the rest.
const PER_SWEEP: i64 = 500;

impl PaymentDesk {
    pub async fn sweep(&self, job: &PaymentSweep) -> JobResult {
        let stale = sweep::stale_open(&self.pool, self.settings.requery_after_secs, PER_SWEEP)
            .await
            .transient()?;
        let mut tx = self.pool.begin().await.transient()?;
        for &payment_id in &stale {
            let key = format!("payments-requery:{payment_id}:{}", job.tick);
            self.producer
                .enqueue_unique(&mut tx, &RequeryPayment { payment_id }, key)
                .await
                .transient()?;
        }
        let cancelled =
            sweep::cancel_unpaid_orders(&mut tx, self.orders.unpaid_timeout_mins, PER_SWEEP)
                .await
                .transient()?;
        self.producer.commit(tx).await.transient()?;
        if !cancelled.is_empty() {
            self.catalogue.bump().await;
        }
        tracing::info!(requeried = stale.len(), cancelled = cancelled.len(), tick = %job.tick, "payment sweep done");
        Ok(())
    }
}
