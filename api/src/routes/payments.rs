//! /v1/payments and POST /v1/orders/{id}/payments: a client starts paying their order through
//! a provider; a job asks the provider and the webhooks move the payment on. The client, the
//! shop's seller and admins read payments; anyone else gets 404.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgConnection;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use comptoir_domain::config::PaymentSettings;
use comptoir_domain::orders;
use comptoir_domain::pagination::Page;
use comptoir_domain::payments::{self, Payment, PaymentFilter, PaymentStatus, currencies};
use comptoir_jobs::payments::InitiatePayment;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::DeferredJson;
use crate::idempotency::{IdempotencyKey, idempotent};
use crate::routes::orders::{scope, time_bound};
use crate::routes::users::page_of;
use crate::state::AppState;

const PROVIDERS: [&str; 3] = ["stripe", "cinetpay", "paygate"];
const MAX_URL_LEN: usize = 2048;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPaymentRequest {
    /// stripe, cinetpay or paygate.
    pub provider: String,
    /// E.164 (`+22890000000`); required for paygate, whose customer approves on this phone.
    pub phone: Option<String>,
    /// Where the provider sends the client back after paying (http or https).
    pub return_url: Option<String>,
}

fn enabled(settings: &PaymentSettings, provider: &str) -> bool {
    match provider {
        "stripe" => settings.stripe.enabled(),
        "cinetpay" => settings.cinetpay.enabled(),
        "paygate" => settings.paygate.enabled(),
        _ => false,
    }
}

fn is_e164(phone: &str) -> bool {
    phone.strip_prefix('+').is_some_and(|digits| {
        (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
    })
}

fn validate(request: &NewPaymentRequest, settings: &PaymentSettings) -> ApiResult<()> {
    if !PROVIDERS.contains(&request.provider.as_str()) {
        return Err(ApiError::field(
            "provider",
            format!("must be one of {}", PROVIDERS.join(", ")),
        ));
    }
    match request.phone.as_deref() {
        Some(phone) if !is_e164(phone) => {
            return Err(ApiError::field(
                "phone",
                "must be an E.164 number such as +22890000000",
            ));
        }
        None if request.provider == "paygate" => {
            return Err(ApiError::field(
                "phone",
                "is required for paygate: the customer approves on it",
            ));
        }
        _ => {}
    }
    if let Some(url) = request.return_url.as_deref() {
        let web_url = url.starts_with("https://") || url.starts_with("http://");
        if !web_url || url.len() > MAX_URL_LEN || url.chars().any(char::is_whitespace) {
            return Err(ApiError::field(
                "return_url",
                "must be an http(s) URL of at most 2048 characters",
            ));
        }
    }
    if !enabled(settings, &request.provider) {
        return Err(ApiError::Unprocessable {
            code: "provider_unavailable",
            detail: format!(
                "payments through {} are not configured here",
                request.provider
            ),
        });
    }
    Ok(())
}

/// Records the payment and enqueues its initiation, in the order's lock.
async fn start(
    state: &AppState,
    tx: &mut PgConnection,
    caller: &AuthUser,
    order_id: Uuid,
    request: &NewPaymentRequest,
) -> ApiResult<(StatusCode, serde_json::Value)> {
    let order = orders::lock(tx, order_id)
        .await?
        .filter(|order| order.client_id == caller.id)
        .ok_or(ApiError::NotFound)?;
    if order.status != "pending" {
        return Err(ApiError::Conflict {
            code: "order_not_payable",
            detail: format!("the order is {}, not pending", order.status),
        });
    }
    if !currencies::accepted(&request.provider, &order.currency) {
        return Err(ApiError::Unprocessable {
            code: "currency_not_supported",
            detail: format!(
                "{} does not take payments in {}",
                request.provider, order.currency
            ),
        });
    }
    let payment_id = payments::create(
        tx,
        &order,
        &request.provider,
        request.phone.as_deref(),
        request.return_url.as_deref(),
    )
    .await?;
    state
        .producer
        .enqueue(tx, &InitiatePayment { payment_id })
        .await?;
    tracing::info!(%payment_id, %order_id, provider = %request.provider, "payment initiating");
    Ok((
        StatusCode::ACCEPTED,
        json!({
            "id": payment_id, "order_id": order_id, "provider": request.provider,
            "status": PaymentStatus::Initiating.as_str(),
            "amount": {"amount": order.total_amount, "currency": order.currency},
        }),
    ))
}

#[utoipa::path(post, path = "/v1/orders/{id}/payments", tag = "payments", request_body = NewPaymentRequest,
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header)), security(("bearer" = [])), responses(
    (status = 202, description = "the payment, `initiating`; `Location: /v1/payments/{id}`"),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, description = "no such order among the caller's", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "order_not_payable, idempotency_key_in_use", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "validation_failed, provider_unavailable, currency_not_supported, idempotency_key_reused", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    caller: AuthUser,
    order_id: web::Path<Uuid>,
    key: IdempotencyKey,
    body: DeferredJson<NewPaymentRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.read().await?;
    validate(&body, &state.settings.payments)?;
    let order_id = order_id.into_inner();
    let reply = idempotent(
        &state,
        caller.id,
        "payments.create",
        &key,
        &(order_id, &body),
        async |tx: &mut PgConnection| start(&state, tx, &caller, order_id, &body).await,
    )
    .await?;
    let location = reply.body["id"]
        .as_str()
        .map(|id| format!("/v1/payments/{id}"));
    Ok(reply.into_response(location))
}

#[utoipa::path(get, path = "/v1/payments/{id}", tag = "payments", params(("id" = Uuid, Path)), security(("bearer" = [])), responses(
    (status = 200, body = Payment),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<Payment>> {
    payments::find(&state.pool, *id, scope(&caller))
        .await?
        .map(web::Json)
        .ok_or(ApiError::NotFound)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PaymentQuery {
    pub order_id: Option<Uuid>,
    /// initiating, pending, succeeded, failed, cancelled, expired, partially_refunded or refunded.
    pub status: Option<String>,
    /// stripe, cinetpay, paygate or manual.
    pub provider: Option<String>,
    /// Created on or after this date (`YYYY-MM-DD`) or time (RFC 3339).
    pub from: Option<String>,
    /// Created on or before this date (whole day included), or before this time.
    pub to: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[utoipa::path(get, path = "/v1/payments", tag = "payments", params(PaymentQuery), security(("bearer" = [])), responses(
    (status = 200, description = "a page of payments, newest first: {items, page, per_page, total, total_is_capped}"),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list(
    state: web::Data<AppState>,
    caller: AuthUser,
    query: web::Query<PaymentQuery>,
) -> ApiResult<web::Json<Page<Payment>>> {
    let query = query.into_inner();
    if let Some(status) = &query.status {
        status
            .parse::<PaymentStatus>()
            .map_err(|err| ApiError::field("status", err.to_string()))?;
    }
    if let Some(provider) = &query.provider
        && provider != "manual"
        && !PROVIDERS.contains(&provider.as_str())
    {
        return Err(ApiError::field(
            "provider",
            "must be stripe, cinetpay, paygate or manual",
        ));
    }
    let filter = PaymentFilter {
        order_id: query.order_id,
        status: query.status,
        provider: query.provider,
        from: query
            .from
            .map(|from| time_bound("from", &from, false))
            .transpose()?,
        to: query.to.map(|to| time_bound("to", &to, true)).transpose()?,
    };
    let page = page_of(query.page, query.per_page);
    Ok(web::Json(
        payments::list(&state.pool, scope(&caller), &filter, page).await?,
    ))
}
