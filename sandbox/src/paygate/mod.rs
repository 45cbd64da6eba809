//! PayGate Global's direct API: register a mobile-money request, query its status, and call the
//! merchant back once the customer approves on their phone (here: on `/paygate/approve/{ref}`).
//! The callback is an unsigned JSON POST, as PayGate documents no signature.

mod store;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::{Map, Value, json};

use crate::actions::{ActError, Acted, Action, Next, Provider, View};
use crate::callbacks::{Body, Callback};
use crate::state::{AppState, lock};
pub use store::Store;
use store::{NewTx, Tx};

/// `/api/v1/pay` registration outcomes.
const REGISTERED: u8 = 0;
const INVALID_TOKEN: u8 = 2;
const INVALID_PARAMS: u8 = 4;
const DUPLICATE: u8 = 6;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/pay", web::post().to(pay))
        .route("/api/v1/status", web::post().to(status_by_reference))
        .route("/api/v2/status", web::post().to(status_by_identifier));
}

fn object(body: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// A text or numeric field as text (clients send amounts and phone numbers either way).
fn text(body: &Map<String, Value>, key: &str) -> Option<String> {
    match body.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A Togolese number: 8 digits, optionally after 228 or +228.
fn phone(raw: &str) -> Option<String> {
    let digits = raw.strip_prefix('+').unwrap_or(raw);
    let local = if digits.len() == 11 {
        digits.strip_prefix("228")?
    } else {
        digits
    };
    (local.len() == 8 && local.chars().all(|c| c.is_ascii_digit())).then(|| format!("228{local}"))
}

/// `POST /api/v1/pay`: `{"tx_reference", "status"}`; errors carry the status alone.
async fn pay(state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let outcome = register(&state, &body);
    let body = match outcome {
        Ok(reference) => json!({"tx_reference": reference, "status": REGISTERED}),
        Err(status) => json!({"status": status}),
    };
    HttpResponse::Ok().json(body)
}

fn register(state: &AppState, body: &[u8]) -> Result<i64, u8> {
    let body = object(body).ok_or(INVALID_PARAMS)?;
    if text(&body, "auth_token").as_deref() != Some(state.settings.paygate_auth_token.as_str()) {
        return Err(INVALID_TOKEN);
    }
    let amount: i64 = text(&body, "amount")
        .and_then(|a| a.parse().ok())
        .filter(|a| *a > 0)
        .ok_or(INVALID_PARAMS)?;
    let phone_number = text(&body, "phone_number")
        .as_deref()
        .and_then(phone)
        .ok_or(INVALID_PARAMS)?;
    let identifier = text(&body, "identifier")
        .filter(|i| i.len() <= 100)
        .ok_or(INVALID_PARAMS)?;
    let payment_method = match text(&body, "network").as_deref() {
        Some("FLOOZ") => "Flooz",
        Some("TMONEY") => "T-Money",
        _ => return Err(INVALID_PARAMS),
    };
    let new = NewTx {
        identifier: identifier.clone(),
        amount,
        description: text(&body, "description").unwrap_or_default(),
        phone_number,
        payment_method,
    };
    let tx_reference = lock(&state.paygate).insert(new).ok_or(DUPLICATE)?;
    let approve = format!(
        "{}{}",
        state.public_url,
        Provider::PayGate.page_path(&tx_reference.to_string())
    );
    tracing::info!(tx_reference, %identifier, %approve, "PayGate payment registered");
    Ok(tx_reference)
}

/// `POST /api/v1/status {auth_token, tx_reference}`.
async fn status_by_reference(state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    status(&state, &body, |store, body| {
        let reference = text(body, "tx_reference")?.parse().ok()?;
        store.get(reference).map(Tx::json)
    })
}

/// `POST /api/v2/status {auth_token, identifier}`.
async fn status_by_identifier(state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    status(&state, &body, |store, body| {
        store
            .by_identifier(&text(body, "identifier")?)
            .map(Tx::json)
    })
}

/// PayGate's status errors are undocumented: the sandbox answers them with HTTP errors so that
/// they cannot be mistaken for a payment status.
fn status(
    state: &AppState,
    body: &[u8],
    find: impl FnOnce(&Store, &Map<String, Value>) -> Option<Value>,
) -> HttpResponse {
    let error = |status: StatusCode, message: &str| {
        HttpResponse::build(status)
            .json(json!({"error_code": status.as_u16(), "error_message": message}))
    };
    let Some(body) = object(body) else {
        return error(StatusCode::BAD_REQUEST, "the body must be a JSON object");
    };
    if text(&body, "auth_token").as_deref() != Some(state.settings.paygate_auth_token.as_str()) {
        return error(StatusCode::UNAUTHORIZED, "invalid auth_token");
    }
    match find(&lock(&state.paygate), &body) {
        Some(found) => HttpResponse::Ok().json(found),
        None => error(StatusCode::NOT_FOUND, "no such transaction"),
    }
}

/// The customer's answer on the phone for request `id` (its tx_reference). Only an approval
/// calls back: PayGate's callback has no status field, it announces a payment.
pub fn act(state: &AppState, id: &str, action: Action) -> Result<Acted, ActError> {
    let reference: i64 = id.parse().map_err(|_| ActError::NotFound)?;
    let mut store = lock(&state.paygate);
    let tx = store.get_mut(reference).ok_or(ActError::NotFound)?;
    if !tx.is_open() {
        return Err(ActError::Closed(tx.status_name().into()));
    }
    tx.settle(action);
    let mut callbacks = Vec::new();
    if action == Action::Pay {
        match &state.settings.paygate_callback_url {
            Some(url) => callbacks.push(callback(tx, url)),
            None => tracing::info!(
                reference,
                "no PayGate callback URL configured: callback not sent"
            ),
        }
    }
    let acted = Acted {
        state: tx.json(),
        next: Next::Done(format!(
            "PayGate request {reference} is now {}.",
            tx.status_name()
        )),
    };
    drop(store);
    state.courier.send(callbacks);
    Ok(acted)
}

fn callback(tx: &Tx, url: &str) -> Callback {
    let body = tx.callback_json();
    Callback {
        label: format!("paygate {} {}", tx.tx_reference, tx.identifier),
        url: url.to_owned(),
        body: Some(Body {
            content_type: "application/json",
            bytes: body.to_string().into_bytes(),
        }),
        headers: Vec::new(),
        stripe_secret: None,
    }
}

pub fn view(state: &AppState, id: &str) -> Option<View> {
    let store = lock(&state.paygate);
    let tx = store.get(id.parse().ok()?)?;
    let mut lines = vec![
        format!("{} request to {}", tx.payment_method, tx.phone_number),
        format!("Identifier {}", tx.identifier),
    ];
    if !tx.description.is_empty() {
        lines.insert(0, tx.description.clone());
    }
    Some(View {
        provider: "PayGate",
        amount: tx.amount.to_string(),
        currency: "XOF".into(),
        lines,
        status: tx.status_name().into(),
        open: tx.is_open(),
        hint: "This stands for the customer's phone. Pay approves (status 0, callback sent), \
               Fail lets the request lapse (status 4, expired), Cancel refuses it \
               (status 6, cancelled).",
    })
}

#[cfg(test)]
mod tests {
    use super::phone;

    #[test]
    fn normalises_togolese_numbers() {
        assert_eq!(phone("92104312").as_deref(), Some("22892104312"));
        assert_eq!(phone("22892104312").as_deref(), Some("22892104312"));
        assert_eq!(phone("+22892104312").as_deref(), Some("22892104312"));
        assert_eq!(phone("9210431"), None);
        assert_eq!(phone("33392104312"), None);
    }
}
