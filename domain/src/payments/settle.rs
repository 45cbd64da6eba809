//! Settling what a provider says about a payment, under a row lock on the payment: the state
//! machine decides the move, the amount is checked, and the order is paid exactly once.
//! Locks are taken payment first, then order; nothing locks them the other way round.

use sqlx::PgConnection;
use uuid::Uuid;

use super::refunds;
use super::status::{PaymentStatus, Transition};
use crate::StoreResult;
use crate::orders;

/// What the provider says: a verified event object or the answer to a re-query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub status: PaymentStatus,
    /// The amount taken (for a success), in minor units.
    pub amount: Option<i64>,
    pub currency: Option<String>,
    /// The provider's id for the payment, once known.
    pub provider_ref: Option<String>,
    /// All that has been refunded so far (Stripe `charge.amount_refunded`).
    pub refunded_total: Option<i64>,
    /// Why it failed, or why it is still waiting.
    pub reason: Option<String>,
}

impl Observation {
    pub fn status(status: PaymentStatus) -> Self {
        Self {
            status,
            amount: None,
            currency: None,
            provider_ref: None,
            refunded_total: None,
            reason: None,
        }
    }
}

/// A payment row, locked until the end of the transaction.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LockedPayment {
    pub id: Uuid,
    pub order_id: Uuid,
    pub provider: String,
    #[sqlx(try_from = "String")]
    pub status: StatusColumn,
    pub currency: String,
    pub amount: i64,
    pub refunded_amount: i64,
    pub provider_ref: Option<String>,
    pub phone: Option<String>,
    pub flags: Vec<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// `payments.status`, parsed on read (the column's CHECK keeps it to known names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusColumn(pub PaymentStatus);

impl TryFrom<String> for StatusColumn {
    type Error = super::UnknownStatus;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse().map(StatusColumn)
    }
}

/// The order a payment has just paid, with what its receipt and its seller's notice need.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PaidOrder {
    pub order_id: Uuid,
    pub client_email: Option<String>,
    pub client_name: String,
    pub shop_name: String,
    pub shop_owner_id: Uuid,
}

/// What settling changed.
#[derive(Debug, Clone, Default)]
pub struct Settlement {
    pub moved: Option<(PaymentStatus, PaymentStatus)>,
    /// The order became paid by this payment (once per order, ever).
    pub paid: Option<PaidOrder>,
    /// A refund of a duplicate payment to carry out through the provider.
    pub refund: Option<Uuid>,
    pub flagged: Option<&'static str>,
}

pub async fn lock(tx: &mut PgConnection, id: Uuid) -> StoreResult<Option<LockedPayment>> {
    Ok(sqlx::query_as(
        "SELECT id, order_id, provider, status, currency, amount, refunded_amount, provider_ref, \
           phone, flags, created_at FROM payments WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(tx)
    .await?)
}

/// Applies `seen` to payment `id`, locked here and returned as it was before: what the
/// consequences need stays held for the rest of the transaction. `None` when there is no such
/// payment.
pub async fn settle(
    tx: &mut PgConnection,
    id: Uuid,
    seen: &Observation,
) -> StoreResult<Option<(LockedPayment, Settlement)>> {
    let Some(payment) = lock(tx, id).await? else {
        return Ok(None);
    };
    let settlement = settle_locked(tx, &payment, seen).await?;
    Ok(Some((payment, settlement)))
}

async fn settle_locked(
    tx: &mut PgConnection,
    payment: &LockedPayment,
    seen: &Observation,
) -> StoreResult<Settlement> {
    let id = payment.id;
    if let Some(reference) = &seen.provider_ref {
        sqlx::query(
            "UPDATE payments SET provider_ref = $2 WHERE id = $1 \
             AND (provider_ref IS NULL OR (provider_ref LIKE 'cs\\_%' AND $2 LIKE 'pi\\_%'))",
        )
        .bind(id)
        .bind(reference)
        .execute(&mut *tx)
        .await?;
    }
    if let Some(total) = seen.refunded_total {
        let moved = refunds::apply_refunded_total(tx, payment, total).await?;
        return Ok(Settlement {
            moved,
            ..Settlement::default()
        });
    }
    let from = payment.status.0;
    match from.transition(seen.status) {
        Transition::Stays | Transition::Refused => {
            // A waiting payment keeps the latest reason (a declined card the client may retry).
            if from.is_open() && seen.reason.is_some() {
                set_reason(tx, id, seen.reason.as_deref()).await?;
            }
            return Ok(Settlement::default());
        }
        Transition::Moves => {}
    }
    sqlx::query(
        "UPDATE payments SET status = $2, failure_reason = COALESCE($3, failure_reason), \
           succeeded_at = CASE WHEN $2 = 'succeeded' THEN now() ELSE succeeded_at END, \
           updated_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(seen.status.as_str())
    .bind(seen.reason.as_deref())
    .execute(&mut *tx)
    .await?;
    let mut settlement = Settlement {
        moved: Some((from, seen.status)),
        ..Settlement::default()
    };
    if seen.status == PaymentStatus::Succeeded {
        pay_order(tx, payment, seen, &mut settlement).await?;
    }
    Ok(settlement)
}

async fn set_reason(tx: &mut PgConnection, id: Uuid, reason: Option<&str>) -> StoreResult<()> {
    sqlx::query("UPDATE payments SET failure_reason = $2, updated_at = now() WHERE id = $1")
        .bind(id)
        .bind(reason)
        .execute(tx)
        .await?;
    Ok(())
}

pub async fn flag(tx: &mut PgConnection, id: Uuid, flag: &str) -> StoreResult<()> {
    sqlx::query(
        "UPDATE payments SET flags = array_append(flags, $2) WHERE id = $1 AND NOT ($2 = ANY(flags))",
    )
    .bind(id)
    .bind(flag)
    .execute(tx)
    .await?;
    Ok(())
}

/// Whether the provider took what we asked: the same amount in the same currency.
fn matches(payment: &LockedPayment, seen: &Observation) -> bool {
    seen.amount == Some(payment.amount)
        && seen
            .currency
            .as_deref()
            .is_some_and(|currency| currency.eq_ignore_ascii_case(&payment.currency))
}

/// The money is in: pay the order if it is still waiting, otherwise the money goes back.
async fn pay_order(
    tx: &mut PgConnection,
    payment: &LockedPayment,
    seen: &Observation,
    settlement: &mut Settlement,
) -> StoreResult<()> {
    if !matches(payment, seen) {
        tracing::warn!(payment_id = %payment.id, expected = payment.amount, currency = %payment.currency,
            seen_amount = ?seen.amount, seen_currency = ?seen.currency, "payment amount mismatch: order not paid");
        flag(tx, payment.id, "amount_mismatch").await?;
        settlement.flagged = Some("amount_mismatch");
        return Ok(());
    }
    let order = orders::lock(tx, payment.order_id).await?;
    let order_status = order.map(|order| order.status).unwrap_or_default();
    if order_status == "pending" {
        orders::set_status(tx, payment.order_id, "paid").await?;
        settlement.paid = Some(paid_order(tx, payment.order_id).await?);
        return Ok(());
    }
    // Paid already (by another payment) or cancelled before the money came in.
    let flag_name = if order_status == "cancelled" {
        "order_cancelled"
    } else {
        "duplicate"
    };
    flag(tx, payment.id, flag_name).await?;
    settlement.flagged = Some(flag_name);
    if payment.provider == "stripe" {
        let refund = refunds::insert(
            tx,
            refunds::NewRefund {
                payment_id: payment.id,
                amount: payment.amount,
                reason: Some(flag_name),
                requested_by: None,
                manual: false,
            },
        )
        .await?;
        settlement.refund = Some(refund);
    } else {
        flag(tx, payment.id, "needs_refund").await?;
    }
    Ok(())
}

async fn paid_order(tx: &mut PgConnection, order_id: Uuid) -> StoreResult<PaidOrder> {
    Ok(sqlx::query_as(
        "SELECT o.id AS order_id, u.email AS client_email, u.name AS client_name, \
           s.name AS shop_name, s.owner_id AS shop_owner_id \
         FROM orders o JOIN users u ON u.id = o.client_id JOIN shops s ON s.id = o.shop_id \
         WHERE o.id = $1",
    )
    .bind(order_id)
    .fetch_one(tx)
    .await?)
}
