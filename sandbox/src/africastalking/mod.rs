//! Africa's Talking's SMS API: `POST /version1/messaging` answers each recipient inside one
//! 201 (a bad number fails alone), refuses whole requests in plain text, and sends delivery
//! reports, unsigned, to the URL set in its dashboard (here `africastalking_dlr_url`).

mod reports;

use actix_web::http::StatusCode;
use actix_web::http::header::ACCEPT;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde_json::{Value, json};

use crate::ids;
use crate::inbox::Sms;
use crate::settings::Settings;
use crate::sms::{self, Form};
use crate::state::{AppState, lock};
use reports::Accepted;

/// Per-recipient status codes.
const SENT: u16 = 101;
const INVALID_PHONE_NUMBER: u16 = 403;
/// What one segment costs, in XOF.
const COST_PER_SEGMENT: usize = 25;
/// The sender Africa's Talking uses when `from` is not given.
const DEFAULT_SENDER: &str = "AFRICASTKNG";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/version1/messaging", web::post().to(send));
}

/// A whole-request error: plain text, as Africa's Talking answers them.
fn refuse(status: StatusCode, text: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .body(text.to_owned())
}

fn authenticated(req: &HttpRequest, form: &Form, settings: &Settings) -> bool {
    let api_key = req.headers().get("apiKey").and_then(|v| v.to_str().ok());
    api_key == Some(settings.africastalking_api_key.as_str())
        && form.get("username") == Some(settings.africastalking_username.as_str())
}

/// Africa's Talking answers XML unless asked for JSON, which is all the sandbox speaks.
fn accepts_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json"))
}

fn cost(xof: usize) -> String {
    format!("XOF {xof}.0000")
}

async fn send(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let form = Form::parse(&body);
    if !authenticated(&req, &form, &state.settings) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "The supplied authentication is invalid",
        );
    }
    if !accepts_json(&req) {
        return refuse(
            StatusCode::NOT_ACCEPTABLE,
            "This sandbox answers JSON only: send Accept: application/json",
        );
    }
    let Some(to) = form.get("to") else {
        return missing("to");
    };
    let Some(message) = form.get("message") else {
        return missing("message");
    };
    let from = form.get("from").unwrap_or(DEFAULT_SENDER);
    HttpResponse::Created().json(dispatch(&state, to, from, message))
}

fn missing(field: &str) -> HttpResponse {
    let text = format!("Request is missing required form field '{field}'");
    refuse(StatusCode::BAD_REQUEST, &text)
}

/// Takes the text for each valid number of `to` (into the inbox, with its delivery reports)
/// and answers for each number.
fn dispatch(state: &AppState, to: &str, from: &str, message: &str) -> Value {
    let each = COST_PER_SEGMENT * sms::segments(message);
    let now = Utc::now();
    let mut recipients: Vec<Value> = Vec::new();
    let mut accepted: Vec<Accepted> = Vec::new();
    let mut inbox = lock(&state.inbox);
    for number in to.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if !sms::is_e164(number) {
            recipients.push(json!({
                "statusCode": INVALID_PHONE_NUMBER, "number": number,
                "status": "InvalidPhoneNumber", "cost": "0", "messageId": "None",
            }));
            continue;
        }
        let sent = Accepted {
            message_id: format!("ATXid_{}", ids::hex(32)),
            number: number.to_owned(),
            delivered: sms::is_deliverable(number),
        };
        inbox.record(Sms {
            provider: "africastalking",
            id: sent.message_id.clone(),
            to: sent.number.clone(),
            from: from.to_owned(),
            body: message.to_owned(),
            status: sent.final_status(),
            received_at: now,
        });
        recipients.push(json!({
            "statusCode": SENT, "number": number, "status": "Success",
            "cost": cost(each), "messageId": sent.message_id,
        }));
        accepted.push(sent);
    }
    drop(inbox);
    let total = match accepted.len() {
        0 => "0".to_owned(),
        n => cost(n * each),
    };
    let summary = format!(
        "Sent to {}/{} Total Cost: {total}",
        accepted.len(),
        recipients.len()
    );
    tracing::info!(%summary, "Africa's Talking messages sent");
    match &state.settings.africastalking_dlr_url {
        Some(url) => state.courier.send(reports::callbacks(url, &accepted)),
        None => tracing::info!("no Africa's Talking DLR URL configured: reports not sent"),
    }
    json!({"SMSMessageData": {"Message": summary, "Recipients": recipients}})
}
