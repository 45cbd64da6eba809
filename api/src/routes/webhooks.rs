//! Payment provider webhooks: verified on the raw body before anything is parsed, stored once
//! per provider event, and reconciled by a job enqueued in the same transaction. They answer
//! fast; the provider's retries and replays find the stored event and change nothing.

use actix_web::{HttpRequest, HttpResponse, web};
use futures::StreamExt;
use serde_json::{Map, Value};

use comptoir_domain::payments;

use crate::body_timeout::unreadable;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::webhook_intake::{IncomingEvent, IntakeError, Stored};
use crate::webhooks::{SignatureError, cinetpay, stripe};

/// Largest webhook body taken: provider events are a few KiB.
const BODY_LIMIT: usize = 64 * 1024;
/// Stripe's own libraries' tolerance for a signature's age.
const STRIPE_TOLERANCE_SECS: i64 = 300;

/// The body, refused with 413 past `BODY_LIMIT` without reading the rest.
pub(crate) async fn read_body(mut payload: web::Payload) -> ApiResult<web::Bytes> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|err| unreadable(&err))?;
        if body.len() + chunk.len() > BODY_LIMIT {
            return Err(ApiError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

pub(crate) fn invalid_signature(err: SignatureError) -> ApiError {
    ApiError::bad_request("invalid_signature", err.to_string())
}

/// Stores the event and enqueues its reconciliation, once.
async fn store(state: &AppState, event: IncomingEvent) -> ApiResult<HttpResponse> {
    let (provider, key) = (event.provider, event.event_key.clone());
    let stored = state
        .webhook_intake
        .store(event)
        .await
        .map_err(|err| match err {
            IntakeError::Stopped => ApiError::Unavailable("the API is shutting down"),
            IntakeError::Store(err) => err.into(),
        })?;
    match stored {
        Stored::New(event_id) => {
            tracing::info!(%provider, event_key = %key, %event_id, "payment event stored")
        }
        Stored::Replay => {
            tracing::info!(%provider, event_key = %key, "payment event replayed: already stored")
        }
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({"received": true})))
}

#[utoipa::path(post, path = "/v1/webhooks/stripe", tag = "payments", request_body(content = String, content_type = "application/json", description = "a Stripe event, signed in `Stripe-Signature`"), responses(
    (status = 200, description = "stored (or already stored)"),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json", description = "`invalid_signature` (nothing stored) or `malformed_json`"),
    (status = 413, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn stripe(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let body = read_body(payload).await?;
    let header = request
        .headers()
        .get("Stripe-Signature")
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| invalid_signature(SignatureError::Malformed))?;
    let secret = state.settings.payments.stripe.webhook_secret.expose();
    if secret.is_empty() {
        return Err(invalid_signature(SignatureError::Mismatch));
    }
    let now = chrono::Utc::now().timestamp();
    stripe::verify(header, &body, secret, now, STRIPE_TOLERANCE_SECS).map_err(invalid_signature)?;
    let event: Value = serde_json::from_slice(&body)
        .map_err(|err| ApiError::bad_request("malformed_json", err.to_string()))?;
    let (Some(id), Some(event_type)) = (event["id"].as_str(), event["type"].as_str()) else {
        return Err(ApiError::bad_request(
            "malformed_event",
            "a Stripe event has an `id` and a `type`",
        ));
    };
    let (id, event_type) = (id.to_owned(), event_type.to_owned());
    // Our checkout sessions and their PaymentIntents carry metadata[payment_id].
    let payment_id = event["data"]["object"]["metadata"]["payment_id"]
        .as_str()
        .and_then(|id| id.parse().ok());
    store(
        &state,
        IncomingEvent {
            provider: "stripe",
            event_key: id,
            event_type,
            payment_id,
            payload: event,
        },
    )
    .await
}

/// A form's fields as the JSON object stored with the event.
fn form_object(fields: Vec<(String, String)>) -> Value {
    Value::Object(
        fields
            .into_iter()
            .map(|(name, value)| (name, Value::String(value)))
            .collect::<Map<String, Value>>(),
    )
}

/// CinetPay pings its notification URL with a GET before using it.
#[utoipa::path(get, path = "/v1/webhooks/mobile-money/cinetpay", tag = "payments", responses(
    (status = 200, description = "the URL is live")))]
pub async fn cinetpay_ping() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[utoipa::path(post, path = "/v1/webhooks/mobile-money/cinetpay", tag = "payments", request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "CinetPay's notification form, signed in `x-token`"), responses(
    (status = 200, description = "stored (or already stored); the status is then confirmed with /v2/payment/check"),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json", description = "`invalid_signature`: nothing stored"),
    (status = 413, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn cinetpay(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let body = read_body(payload).await?;
    let token = request
        .headers()
        .get("x-token")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|err| ApiError::bad_request("malformed_form", err.to_string()))?;
    let secret = state.settings.payments.cinetpay.secret_key.expose();
    if secret.is_empty() {
        return Err(invalid_signature(SignatureError::Mismatch));
    }
    cinetpay::verify(token, &fields, secret).map_err(invalid_signature)?;
    // Our CinetPay transaction id is the payment's id.
    let payment_id = fields
        .iter()
        .find(|(name, _)| name == "cpm_trans_id")
        .and_then(|(_, value)| value.parse().ok());
    // CinetPay's notifications carry no event id; the token is an HMAC over all their fields,
    // so an identical redelivery has the same one and a new status a new one.
    store(
        &state,
        IncomingEvent {
            provider: "cinetpay",
            event_key: token.to_ascii_lowercase(),
            event_type: "notification".to_owned(),
            payment_id,
            payload: form_object(fields),
        },
    )
    .await
}

/// What a PayGate callback carries (sent as JSON or as a form).
#[derive(Debug, serde::Deserialize)]
struct PayGateCallback {
    tx_reference: Value,
    identifier: String,
    payment_reference: Option<Value>,
}

#[utoipa::path(post, path = "/v1/webhooks/mobile-money/paygate", tag = "payments", request_body(content = String, content_type = "application/json", description = "PayGate's callback: tx_reference, identifier, payment_reference, amount, datetime, payment_method, phone_number"), responses(
    (status = 200, description = "taken as a hint (stored once for a known payment, ignored otherwise); the status is then confirmed with /api/v2/status"),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json", description = "`malformed_callback`"),
    (status = 413, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn paygate(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let body = read_body(payload).await?;
    let is_form = request
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    let fields: Value = if is_form {
        form_object(
            serde_urlencoded::from_bytes(&body)
                .map_err(|err| ApiError::bad_request("malformed_callback", err.to_string()))?,
        )
    } else {
        serde_json::from_slice(&body)
            .map_err(|err| ApiError::bad_request("malformed_callback", err.to_string()))?
    };
    let callback: PayGateCallback = serde_json::from_value(fields.clone())
        .map_err(|err| ApiError::bad_request("malformed_callback", err.to_string()))?;
    // Unsigned: anyone can post one. It is only a hint that the reconciliation confirms with
    // PayGate, and only for payments we know, so forged callbacks cannot fill the table.
    let payment_id = callback.identifier.parse().ok();
    let known = match payment_id {
        Some(payment_id) => payments::is_known(&state.pool, payment_id, "paygate").await?,
        None => false,
    };
    if !known {
        tracing::info!(identifier = %callback.identifier, "paygate callback for no known payment: ignored");
        return Ok(HttpResponse::Ok().json(serde_json::json!({"received": true})));
    }
    let reference =
        |value: &Option<Value>| value.as_ref().map(|v| v.to_string()).unwrap_or_default();
    let key = format!(
        "{}:{}:{}",
        callback.identifier,
        callback.tx_reference,
        reference(&callback.payment_reference)
    );
    store(
        &state,
        IncomingEvent {
            provider: "paygate",
            event_key: key,
            event_type: "callback".to_owned(),
            payment_id,
            payload: fields,
        },
    )
    .await
}
