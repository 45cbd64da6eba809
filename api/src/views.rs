//! Product view counts without a write per read: reads bump an in-memory counter, and a
//! background task adds the counts to Postgres in one statement every few seconds (and once
//! more at shutdown). A crash loses at most one interval of views, which a popularity sort
//! tolerates.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use comptoir_domain::products;

const FLUSH_EVERY: Duration = Duration::from_secs(5);

#[derive(Default)]
pub struct ViewCounter {
    pending: Mutex<HashMap<Uuid, i64>>,
}

impl ViewCounter {
    pub fn record(&self, product: Uuid) {
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *pending.entry(product).or_default() += 1;
    }

    /// Writes the pending counts; on failure they are kept for the next flush.
    pub async fn flush(&self, pool: &PgPool) {
        let batch = std::mem::take(
            &mut *self
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        if batch.is_empty() {
            return;
        }
        let (ids, counts): (Vec<Uuid>, Vec<i64>) = batch.iter().map(|(id, n)| (*id, *n)).unzip();
        if let Err(err) = products::add_views(pool, &ids, &counts).await {
            tracing::warn!(error = %err, products = ids.len(), "view counts not saved; will retry");
            let mut pending = self
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for (id, n) in batch {
                *pending.entry(id).or_default() += n;
            }
        }
    }

    /// Flushes every few seconds until `stop`, then once more.
    pub async fn run(&self, pool: PgPool, stop: CancellationToken) {
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(FLUSH_EVERY) => self.flush(&pool).await,
            }
        }
        self.flush(&pool).await;
    }
}
