//! POST /v1/payments/{id}/refund: an admin, or the seller of the payment's shop, gives money
//! back. Stripe refunds are carried out by a job; mobile-money refunds are recorded as `manual`
//! for the back office to pay out. Never more than is left: the refunds already asked for
//! count, under the payment's lock.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use comptoir_domain::action_log::{self, Action};
use comptoir_domain::money::Money;
use comptoir_domain::payments::refunds::{self, NewRefund, Refund};
use comptoir_domain::payments::{self, settle};
use comptoir_jobs::payments::RefundPayment;

use crate::auth::Merchant;
use crate::error::{ApiError, ApiResult};
use crate::extract::DeferredJson;
use crate::routes::orders::scope;
use crate::state::AppState;

const MAX_REASON_LEN: usize = 500;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    /// How much to give back, in the payment's currency; all that is left when omitted.
    pub amount: Option<Money>,
    pub reason: Option<String>,
}

fn amount_of(request: &RefundRequest, currency: &str, left: i64) -> ApiResult<i64> {
    let Some(money) = &request.amount else {
        return Ok(left);
    };
    if money.currency != currency {
        return Err(ApiError::field(
            "amount.currency",
            format!("must be the payment's currency, {currency}"),
        ));
    }
    if money.amount <= 0 {
        return Err(ApiError::field("amount.amount", "must be positive"));
    }
    if money.amount > left {
        return Err(ApiError::Unprocessable {
            code: "refund_exceeds_balance",
            detail: format!("{} is more than the {left} left to refund", money.amount),
        });
    }
    Ok(money.amount)
}

#[utoipa::path(post, path = "/v1/payments/{id}/refund", tag = "payments", request_body = RefundRequest,
    params(("id" = Uuid, Path)), security(("bearer" = [])), responses(
    (status = 202, body = Refund, description = "requested (stripe: a job refunds it) or recorded `manual` (mobile money)"),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "a client", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "payment_not_refundable: not paid, or nothing left", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "validation_failed, refund_exceeds_balance", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    Merchant(caller): Merchant,
    id: web::Path<Uuid>,
    body: DeferredJson<RefundRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.read().await?;
    if body
        .reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > MAX_REASON_LEN)
    {
        return Err(ApiError::field(
            "reason",
            format!("at most {MAX_REASON_LEN} characters"),
        ));
    }
    payments::find(&state.pool, *id, scope(&caller))
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut tx = state.pool.begin().await?;
    let payment = settle::lock(&mut tx, *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let left = refunds::refundable(&mut tx, &payment).await?;
    if !payment.status.0.is_paid() || left == 0 {
        return Err(ApiError::Conflict {
            code: "payment_not_refundable",
            detail: format!(
                "the payment is {} with {left} left to refund",
                payment.status.0
            ),
        });
    }
    let amount = amount_of(&body, &payment.currency, left)?;
    let manual = payment.provider != "stripe";
    let refund_id = refunds::insert(
        &mut tx,
        NewRefund {
            payment_id: payment.id,
            amount,
            reason: body.reason.as_deref(),
            requested_by: Some(caller.id),
            manual,
        },
    )
    .await?;
    if manual {
        refunds::apply_recorded(&mut tx, &payment).await?;
    } else {
        state
            .producer
            .enqueue(&mut tx, &RefundPayment { refund_id })
            .await?;
    }
    action_log::record(
        &mut *tx,
        Action {
            actor_id: caller.id,
            action: "payment.refund_requested",
            target_type: "payment",
            target_id: payment.id,
            meta: json!({"refund_id": refund_id, "amount": amount, "currency": payment.currency, "manual": manual}),
        },
    )
    .await?;
    let refund = refunds::find(&mut tx, refund_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    state.producer.commit(tx).await?;
    tracing::info!(payment_id = %payment.id, %refund_id, amount, manual, "refund requested");
    Ok(HttpResponse::Accepted().json(refund))
}
