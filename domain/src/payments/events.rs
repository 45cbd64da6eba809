//! Provider events: each verified event is stored once per (provider, event key), in the
//! transaction that enqueues its reconciliation.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::{StoreError, StoreResult};

/// A verified event as the webhook received it.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub provider: &'a str,
    /// The provider's own event id (Stripe `evt_…`), or for providers without one a key built
    /// from what identifies the notification.
    pub event_key: &'a str,
    pub event_type: &'a str,
    /// The payment it names, when it names one of ours (an unknown id is stored as none).
    pub payment_id: Option<Uuid>,
    pub payload: serde_json::Value,
}

/// Stores `event`; `None` when it was stored before (a replay or a redelivery).
pub async fn record(conn: &mut PgConnection, event: NewEvent<'_>) -> StoreResult<Option<Uuid>> {
    sqlx::query_scalar(
        "INSERT INTO payment_events (id, provider, event_key, event_type, payload, payment_id) \
         VALUES ($1, $2, $3, $4, $5, (SELECT id FROM payments WHERE id = $6)) \
         ON CONFLICT (provider, event_key) DO NOTHING RETURNING id",
    )
    .bind(Uuid::now_v7())
    .bind(event.provider)
    .bind(event.event_key)
    .bind(event.event_type)
    .bind(event.payload)
    .bind(event.payment_id)
    .fetch_optional(conn)
    .await
    .map_err(StoreError::from_sqlx)
}

/// A stored event, as its reconciliation reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredEvent {
    pub id: Uuid,
    pub provider: String,
    pub event_type: String,
    pub payment_id: Option<Uuid>,
    pub payload: serde_json::Value,
}

pub async fn find(db: impl sqlx::PgExecutor<'_>, id: Uuid) -> StoreResult<Option<StoredEvent>> {
    Ok(sqlx::query_as(
        "SELECT id, provider, event_type, payment_id, payload FROM payment_events WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// The event has been acted on.
pub async fn mark_processed(db: impl sqlx::PgExecutor<'_>, id: Uuid) -> StoreResult<()> {
    sqlx::query("UPDATE payment_events SET processed_at = now() WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}
