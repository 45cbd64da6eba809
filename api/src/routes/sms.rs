//! Delivery reports from the SMS providers and the admins' list of messages.
//! Twilio's are signed (`X-Twilio-Signature` over our public callback URL); Africa's Talking's
//! are not, so a report only ever moves a message we sent with that provider id, and one for an
//! id not yet recorded is held (bounded) until the send is. Statuses only move forward (see
//! `domain::sms::reports`).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use comptoir_domain::pagination::Page;
use comptoir_domain::sms::DeliveryStatus;
use comptoir_domain::sms::messages::{self, SmsFilter, SmsView};
use comptoir_domain::sms::reports::{self, Reported};

use crate::auth::Admin;
use crate::error::{ApiError, ApiResult};
use crate::routes::users::page_of;
use crate::routes::webhooks::{invalid_signature, read_body};
use crate::state::AppState;
use crate::webhooks::{SignatureError, twilio};

/// The statuses admins see: a message being handed to its provider shows as `queued`.
const STATUSES: [&str; 6] = [
    "queued",
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "unknown",
];

fn form(body: &[u8]) -> ApiResult<Vec<(String, String)>> {
    serde_urlencoded::from_bytes(body)
        .map_err(|err| ApiError::bad_request("malformed_form", err.to_string()))
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(field, _)| field == name)
        .map(|(_, value)| value.as_str())
}

/// Twilio's message status, where it moves ours.
fn twilio_status(status: &str) -> Option<DeliveryStatus> {
    match status {
        "sent" => Some(DeliveryStatus::Sent),
        "delivered" | "read" => Some(DeliveryStatus::Delivered),
        "undelivered" => Some(DeliveryStatus::Undelivered),
        "failed" | "canceled" => Some(DeliveryStatus::Failed),
        // queued, accepted, scheduled, sending: nothing we do not know already.
        _ => None,
    }
}

/// Africa's Talking's delivery status, where it moves ours.
fn africastalking_status(status: &str) -> Option<DeliveryStatus> {
    match status {
        "Sent" | "Submitted" | "Buffered" => Some(DeliveryStatus::Sent),
        "Success" => Some(DeliveryStatus::Delivered),
        "Failed" | "Expired" | "AbsentSubscriber" => Some(DeliveryStatus::Undelivered),
        "Rejected" => Some(DeliveryStatus::Failed),
        _ => None,
    }
}

async fn apply(
    state: &AppState,
    provider: &str,
    message_id: &str,
    status: Option<DeliveryStatus>,
    error: Option<String>,
) -> ApiResult<HttpResponse> {
    if let Some(status) = status {
        let mut tx = state.pool.begin().await?;
        let reported =
            reports::report(&mut tx, provider, message_id, status, error.as_deref()).await?;
        tx.commit().await?;
        match reported {
            Reported::Applied => {
                tracing::info!(%provider, %message_id, status = status.as_str(), "sms delivery report")
            }
            Reported::Held => {
                tracing::info!(%provider, %message_id, "delivery report ahead of its send: held")
            }
            Reported::Ignored => {
                tracing::warn!(%provider, %message_id, "delivery report for no message of ours: ignored")
            }
        }
    }
    // Acknowledged whatever it said: the provider would only send it again.
    Ok(HttpResponse::Ok().finish())
}

#[utoipa::path(post, path = "/v1/webhooks/sms/twilio", tag = "sms", request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "Twilio's status callback, signed in `X-Twilio-Signature`"), responses(
    (status = 200, description = "applied (a status only moves forward)"),
    (status = 400, description = "invalid_signature, malformed_form", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 413, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn twilio_report(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let body = read_body(payload).await?;
    let fields = form(&body)?;
    let signature = request
        .headers()
        .get("X-Twilio-Signature")
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| invalid_signature(SignatureError::Malformed))?;
    let token = state.settings.sms.twilio.auth_token.expose();
    if token.is_empty() {
        return Err(invalid_signature(SignatureError::Mismatch));
    }
    // The URL Twilio signs is the StatusCallback we gave it.
    let url = format!(
        "{}{}",
        state.settings.server.public_url.trim_end_matches('/'),
        request.uri()
    );
    twilio::verify(signature, &url, &fields, token).map_err(invalid_signature)?;
    let message_id = field(&fields, "MessageSid")
        .ok_or_else(|| ApiError::bad_request("malformed_form", "no MessageSid"))?;
    let status = field(&fields, "MessageStatus").and_then(twilio_status);
    let error = field(&fields, "ErrorCode").map(|code| format!("Twilio error {code}"));
    apply(&state, "twilio", message_id, status, error).await
}

#[utoipa::path(post, path = "/v1/webhooks/sms/africastalking", tag = "sms", request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "Africa's Talking's delivery report: id, status, phoneNumber, networkCode, failureReason"), responses(
    (status = 200, description = "applied for a message of ours (a status only moves forward), ignored otherwise"),
    (status = 400, description = "malformed_form", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 413, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn africastalking_report(
    state: web::Data<AppState>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let body = read_body(payload).await?;
    let fields = form(&body)?;
    let message_id =
        field(&fields, "id").ok_or_else(|| ApiError::bad_request("malformed_form", "no id"))?;
    let status = field(&fields, "status").and_then(africastalking_status);
    let error = field(&fields, "failureReason").map(str::to_owned);
    apply(&state, "africastalking", message_id, status, error).await
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SmsQuery {
    /// E.164 destination.
    pub to: Option<String>,
    /// queued, sent, delivered, undelivered, failed or unknown.
    pub status: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[utoipa::path(get, path = "/v1/admin/sms", tag = "sms", params(SmsQuery), security(("bearer" = [])), responses(
    (status = 200, description = "a page of messages, newest first; never the text of a code"),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn list(
    state: web::Data<AppState>,
    _admin: Admin,
    query: web::Query<SmsQuery>,
) -> ApiResult<web::Json<Page<SmsView>>> {
    let query = query.into_inner();
    if let Some(status) = query.status.as_deref().filter(|s| !STATUSES.contains(s)) {
        return Err(ApiError::field(
            "status",
            format!("unknown status `{status}`"),
        ));
    }
    let filter = SmsFilter {
        to: query.to,
        status: query.status,
    };
    let page = page_of(query.page, query.per_page);
    Ok(web::Json(messages::list(&state.pool, &filter, page).await?))
}
