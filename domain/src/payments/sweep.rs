//! The periodic payment sweep's reads and writes: open payments to ask about again, and orders
//! left unpaid to cancel.

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::StoreResult;
use crate::orders;

/// Open payments not updated for `older_than_secs`, oldest first.
pub async fn stale_open(pool: &PgPool, older_than_secs: u64, limit: i64) -> StoreResult<Vec<Uuid>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM payments WHERE status IN ('initiating', 'pending') \
           AND provider <> 'manual' AND updated_at < now() - make_interval(secs => $1) \
         ORDER BY updated_at LIMIT $2",
    )
    .bind(older_than_secs as f64)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// Cancels up to `limit` orders pending for more than `timeout_mins` with no payment still
/// open, and returns their stock. Rows another sweep holds are skipped, so each order is
/// cancelled once whatever the number of replicas.
pub async fn cancel_unpaid_orders(
    tx: &mut PgConnection,
    timeout_mins: u64,
    limit: i64,
) -> StoreResult<Vec<Uuid>> {
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT o.id FROM orders o WHERE o.status = 'pending' \
           AND o.created_at < now() - make_interval(mins => $1) \
           AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id \
                           AND p.status IN ('initiating', 'pending')) \
         ORDER BY o.created_at LIMIT $2 FOR UPDATE SKIP LOCKED",
    )
    .bind(i32::try_from(timeout_mins).unwrap_or(i32::MAX))
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    for id in &ids {
        orders::restock(tx, *id).await?;
        orders::set_status(tx, *id, "cancelled").await?;
    }
    Ok(ids)
}
