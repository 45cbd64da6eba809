//! Payment rows: creating one for an order, and reading them within a caller's scope.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::StoreResult;
use crate::money::Money;
use crate::orders::{OrderRow, Scope};
use crate::pagination::{Page, PageRequest};

/// A payment as its client, its seller and admins see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Payment {
    pub id: Uuid,
    pub order_id: Uuid,
    /// stripe, cinetpay, paygate or manual.
    pub provider: String,
    /// initiating, pending, succeeded, failed, cancelled, expired, partially_refunded or refunded.
    pub status: String,
    pub amount: Money,
    pub refunded_amount: Money,
    /// The provider's id for it, once it has one.
    pub provider_ref: Option<String>,
    /// Where the client pays (stripe, cinetpay), once the provider gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkout_url: Option<String>,
    /// What the client does to pay (paygate: approve on the phone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// amount_mismatch, duplicate, needs_refund.
    pub flags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The provider events received about it, oldest first.
    pub events: Vec<PaymentEventSummary>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PaymentEventSummary {
    #[serde(rename = "type")]
    #[sqlx(rename = "event_type")]
    pub event_type: String,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct PaymentRow {
    id: Uuid,
    order_id: Uuid,
    provider: String,
    status: String,
    currency: String,
    amount: i64,
    refunded_amount: i64,
    provider_ref: Option<String>,
    checkout_url: Option<String>,
    instructions: Option<String>,
    flags: Vec<String>,
    failure_reason: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl PaymentRow {
    fn with_events(self, events: Vec<PaymentEventSummary>) -> Payment {
        Payment {
            id: self.id,
            order_id: self.order_id,
            provider: self.provider,
            status: self.status,
            amount: Money::new(self.amount, &self.currency),
            refunded_amount: Money::new(self.refunded_amount, &self.currency),
            provider_ref: self.provider_ref,
            checkout_url: self.checkout_url,
            instructions: self.instructions,
            flags: self.flags,
            failure_reason: self.failure_reason,
            created_at: self.created_at,
            updated_at: self.updated_at,
            events,
        }
    }
}

/// Columns of [`PaymentRow`] over `payments p JOIN orders o JOIN shops s`.
macro_rules! payment_columns {
    () => {
        "p.id, p.order_id, p.provider, p.status, p.currency, p.amount, p.refunded_amount, \
         p.provider_ref, p.checkout_url, p.instructions, p.flags, p.failure_reason, p.created_at, \
         p.updated_at"
    };
}

/// The scope ($1 client, $2 shop owner) of a payment read.
macro_rules! payment_scope {
    () => {
        "FROM payments p JOIN orders o ON o.id = p.order_id JOIN shops s ON s.id = o.shop_id \
         WHERE ($1::uuid IS NULL OR o.client_id = $1) AND ($2::uuid IS NULL OR s.owner_id = $2)"
    };
}

/// A new payment of the whole of `order` (locked by the caller) through `provider`.
pub async fn create(
    tx: &mut PgConnection,
    order: &OrderRow,
    provider: &str,
    phone: Option<&str>,
    return_url: Option<&str>,
) -> StoreResult<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO payments (id, order_id, provider, currency, amount, phone, return_url) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(order.id)
    .bind(provider)
    .bind(&order.currency)
    .bind(order.total_amount)
    .bind(phone)
    .bind(return_url)
    .execute(tx)
    .await?;
    Ok(id)
}

/// Money taken by hand (cash on delivery, a transfer) when a seller or admin marks `order`
/// (locked by the caller) paid: a succeeded `manual` payment of its total.
pub async fn record_manual(tx: &mut PgConnection, order: &OrderRow) -> StoreResult<Uuid> {
    let id = create(tx, order, "manual", None, None).await?;
    sqlx::query(
        "UPDATE payments SET status = 'succeeded', succeeded_at = now(), updated_at = now()          WHERE id = $1",
    )
    .bind(id)
    .execute(tx)
    .await?;
    Ok(id)
}

async fn events_of(pool: &PgPool, ids: &[Uuid]) -> StoreResult<Vec<(Uuid, PaymentEventSummary)>> {
    let rows: Vec<(Uuid, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT payment_id, event_type, received_at FROM payment_events \
         WHERE payment_id = ANY($1) ORDER BY received_at, id",
    )
    .bind(ids)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(payment_id, event_type, received_at)| {
            (
                payment_id,
                PaymentEventSummary {
                    event_type,
                    received_at,
                },
            )
        })
        .collect())
}

async fn attach_events(pool: &PgPool, rows: Vec<PaymentRow>) -> StoreResult<Vec<Payment>> {
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let mut events: HashMap<Uuid, Vec<PaymentEventSummary>> = HashMap::new();
    for (payment_id, event) in events_of(pool, &ids).await? {
        events.entry(payment_id).or_default().push(event);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let mine = events.remove(&row.id).unwrap_or_default();
            row.with_events(mine)
        })
        .collect())
}

/// The payment if `scope` sees it.
pub async fn find(pool: &PgPool, id: Uuid, scope: Scope) -> StoreResult<Option<Payment>> {
    let (client, owner) = scope.binds();
    let row: Option<PaymentRow> = sqlx::query_as(concat!(
        "SELECT ",
        payment_columns!(),
        " ",
        payment_scope!(),
        " AND p.id = $3"
    ))
    .bind(client)
    .bind(owner)
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(match row {
        Some(row) => attach_events(pool, vec![row]).await?.pop(),
        None => None,
    })
}

#[derive(Debug, Default)]
pub struct PaymentFilter {
    pub order_id: Option<Uuid>,
    pub status: Option<String>,
    pub provider: Option<String>,
    /// Created at or after.
    pub from: Option<DateTime<Utc>>,
    /// Created before.
    pub to: Option<DateTime<Utc>>,
}

/// Filters ($3..$7) of [`list`].
macro_rules! payment_filter {
    () => {
        " AND ($3::uuid IS NULL OR p.order_id = $3) AND ($4::text IS NULL OR p.status = $4) \
         AND ($5::text IS NULL OR p.provider = $5) AND ($6::timestamptz IS NULL OR p.created_at >= $6) \
         AND ($7::timestamptz IS NULL OR p.created_at < $7)"
    };
}

/// The payments `scope` sees, newest first.
pub async fn list(
    pool: &PgPool,
    scope: Scope,
    filter: &PaymentFilter,
    page: PageRequest,
) -> StoreResult<Page<Payment>> {
    let (client, owner) = scope.binds();
    let total: i64 = sqlx::query_scalar(concat!(
        "SELECT count(*) ",
        payment_scope!(),
        payment_filter!()
    ))
    .bind(client)
    .bind(owner)
    .bind(filter.order_id)
    .bind(filter.status.as_deref())
    .bind(filter.provider.as_deref())
    .bind(filter.from)
    .bind(filter.to)
    .fetch_one(pool)
    .await?;
    let rows: Vec<PaymentRow> = sqlx::query_as(concat!(
        "SELECT ",
        payment_columns!(),
        " ",
        payment_scope!(),
        payment_filter!(),
        " ORDER BY p.created_at DESC, p.id DESC LIMIT $8 OFFSET $9"
    ))
    .bind(client)
    .bind(owner)
    .bind(filter.order_id)
    .bind(filter.status.as_deref())
    .bind(filter.provider.as_deref())
    .bind(filter.from)
    .bind(filter.to)
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(pool)
    .await?;
    Ok(Page::new(attach_events(pool, rows).await?, page, total))
}

/// Whether `id` is a payment through `provider`: unsigned provider callbacks (PayGate) are only
/// taken for payments we know.
pub async fn is_known(pool: &PgPool, id: Uuid, provider: &str) -> StoreResult<bool> {
    Ok(
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM payments WHERE id = $1 AND provider = $2)",
        )
        .bind(id)
        .bind(provider)
        .fetch_one(pool)
        .await?,
    )
}
