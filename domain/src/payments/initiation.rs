//! What initiating a payment with its provider needs, and recording the provider's answer.

use sqlx::PgPool;
use uuid::Uuid;

use crate::StoreResult;

/// A payment to initiate, with its order's shop and client.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ToInitiate {
    pub id: Uuid,
    pub order_id: Uuid,
    pub provider: String,
    pub status: String,
    pub currency: String,
    pub amount: i64,
    pub phone: Option<String>,
    pub return_url: Option<String>,
    pub provider_ref: Option<String>,
    pub shop_name: String,
    pub client_email: Option<String>,
    pub client_name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

pub async fn to_initiate(pool: &PgPool, id: Uuid) -> StoreResult<Option<ToInitiate>> {
    Ok(sqlx::query_as(
        "SELECT p.id, p.order_id, p.provider, p.status, p.currency, p.amount, p.phone, \
           p.return_url, p.provider_ref, s.name AS shop_name, u.email AS client_email, \
           u.name AS client_name, p.created_at \
         FROM payments p JOIN orders o ON o.id = p.order_id JOIN shops s ON s.id = o.shop_id \
           JOIN users u ON u.id = o.client_id WHERE p.id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?)
}

/// What the provider answered to an initiation.
pub struct Initiated<'a> {
    pub provider_ref: &'a str,
    pub checkout_url: Option<&'a str>,
    pub instructions: Option<&'a str>,
}

/// The provider has the payment: it is `pending` (unless an event already moved it on).
pub async fn mark_pending(pool: &PgPool, id: Uuid, initiated: Initiated<'_>) -> StoreResult<()> {
    sqlx::query(
        "UPDATE payments SET provider_ref = COALESCE(provider_ref, $2), checkout_url = $3, \
           instructions = $4, updated_at = now(), \
           status = CASE WHEN status = 'initiating' THEN 'pending' ELSE status END \
         WHERE id = $1",
    )
    .bind(id)
    .bind(initiated.provider_ref)
    .bind(initiated.checkout_url)
    .bind(initiated.instructions)
    .execute(pool)
    .await?;
    Ok(())
}

/// The provider refused the payment: it fails with the provider's message.
pub async fn mark_refused(pool: &PgPool, id: Uuid, reason: &str) -> StoreResult<()> {
    sqlx::query(
        "UPDATE payments SET status = 'failed', failure_reason = $2, updated_at = now() \
         WHERE id = $1 AND status = 'initiating'",
    )
    .bind(id)
    .bind(reason)
    .execute(pool)
    .await?;
    Ok(())
}
