//! Refunds of a payment. What may still be refunded counts the refunds already asked for, so
//! two concurrent requests (each under the payment's lock) never give back more than was paid.

use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use super::settle::LockedPayment;
use super::status::{PaymentStatus, Transition};
use crate::StoreResult;

pub struct NewRefund<'a> {
    pub payment_id: Uuid,
    pub amount: i64,
    pub reason: Option<&'a str>,
    pub requested_by: Option<Uuid>,
    /// Recorded for the back office to pay out (mobile money has no refund API).
    pub manual: bool,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Refund {
    pub id: Uuid,
    pub payment_id: Uuid,
    pub amount: i64,
    pub reason: Option<String>,
    /// requested, succeeded, failed or manual.
    pub status: String,
    pub provider_ref: Option<String>,
    pub failure_reason: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A refund being carried out, with what the provider call needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingRefund {
    pub id: Uuid,
    pub payment_id: Uuid,
    pub amount: i64,
    pub reason: Option<String>,
    pub status: String,
    pub provider: String,
    pub provider_ref: Option<String>,
}

/// What may still be refunded of a locked payment.
pub async fn refundable(tx: &mut PgConnection, payment: &LockedPayment) -> StoreResult<i64> {
    let asked: i64 = sqlx::query_scalar(
        "SELECT COALESCE(sum(amount), 0)::bigint FROM payment_refunds \
         WHERE payment_id = $1 AND status IN ('requested', 'succeeded', 'manual')",
    )
    .bind(payment.id)
    .fetch_one(tx)
    .await?;
    Ok((payment.amount - asked.max(payment.refunded_amount)).max(0))
}

/// Records a refund of a locked payment; a manual one counts as refunded at once.
pub async fn insert(tx: &mut PgConnection, new: NewRefund<'_>) -> StoreResult<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO payment_refunds (id, payment_id, amount, reason, status, requested_by) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(new.payment_id)
    .bind(new.amount)
    .bind(new.reason)
    .bind(if new.manual { "manual" } else { "requested" })
    .bind(new.requested_by)
    .execute(&mut *tx)
    .await?;
    Ok(id)
}

pub async fn find(tx: &mut PgConnection, id: Uuid) -> StoreResult<Option<Refund>> {
    Ok(sqlx::query_as(
        "SELECT id, payment_id, amount, reason, status, provider_ref, failure_reason, created_at \
         FROM payment_refunds WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(tx)
    .await?)
}

/// The refund and its payment's provider reference.
pub async fn pending(tx: &mut PgConnection, id: Uuid) -> StoreResult<Option<PendingRefund>> {
    Ok(sqlx::query_as(
        "SELECT r.id, r.payment_id, r.amount, r.reason, r.status, p.provider, p.provider_ref \
         FROM payment_refunds r JOIN payments p ON p.id = r.payment_id WHERE r.id = $1",
    )
    .bind(id)
    .fetch_optional(tx)
    .await?)
}

/// The refund `id` is done (`Some(provider ref)`) or refused (`Err(reason)`).
pub async fn finish(
    tx: &mut PgConnection,
    id: Uuid,
    outcome: Result<&str, &str>,
) -> StoreResult<()> {
    let (status, reference, reason) = match outcome {
        Ok(reference) => ("succeeded", Some(reference), None),
        Err(reason) => ("failed", None, Some(reason)),
    };
    sqlx::query(
        "UPDATE payment_refunds SET status = $2, provider_ref = $3, failure_reason = $4, \
           updated_at = now() WHERE id = $1 AND status = 'requested'",
    )
    .bind(id)
    .bind(status)
    .bind(reference)
    .bind(reason)
    .execute(tx)
    .await?;
    Ok(())
}

/// Raises a locked payment's refunded amount to what the refunds recorded as done add up to.
pub async fn apply_recorded(
    tx: &mut PgConnection,
    payment: &LockedPayment,
) -> StoreResult<Option<(PaymentStatus, PaymentStatus)>> {
    let total = recorded_total(tx, payment.id).await?;
    apply_refunded_total(tx, payment, total).await
}

/// The total refunded so far by the refunds we recorded as done.
async fn recorded_total(tx: &mut PgConnection, payment_id: Uuid) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COALESCE(sum(amount), 0)::bigint FROM payment_refunds \
         WHERE payment_id = $1 AND status IN ('succeeded', 'manual')",
    )
    .bind(payment_id)
    .fetch_one(tx)
    .await?)
}

/// Raises a locked payment's refunded amount to `total` (never lowers it: refund events arrive
/// out of order, each carrying the total of its time) and moves it to partially_refunded or
/// refunded. Returns the move, if any.
pub async fn apply_refunded_total(
    tx: &mut PgConnection,
    payment: &LockedPayment,
    total: i64,
) -> StoreResult<Option<(PaymentStatus, PaymentStatus)>> {
    let refunded = total.clamp(0, payment.amount).max(payment.refunded_amount);
    if refunded == payment.refunded_amount || !payment.status.0.is_paid() {
        return Ok(None);
    }
    let to = if refunded == payment.amount {
        PaymentStatus::Refunded
    } else {
        PaymentStatus::PartiallyRefunded
    };
    let from = payment.status.0;
    let status = match from.transition(to) {
        Transition::Moves => to,
        Transition::Stays | Transition::Refused => from,
    };
    sqlx::query(
        "UPDATE payments SET refunded_amount = $2, status = $3, updated_at = now() WHERE id = $1",
    )
    .bind(payment.id)
    .bind(refunded)
    .bind(status.as_str())
    .execute(tx)
    .await?;
    Ok((status != from).then_some((from, status)))
}
