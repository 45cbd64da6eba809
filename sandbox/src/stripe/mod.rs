//! Stripe: Checkout Sessions, PaymentIntents, Charges and Refunds over Stripe's form-encoded API,
//! with `Idempotency-Key` replays, and events signed with `Stripe-Signature`.

mod error;
mod events;
mod params;
mod requests;
mod store;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use crate::actions::{ActError, Acted, Action, Next, View};
use crate::state::{AppState, lock};
use error::{StripeError, authorize};
pub use events::signature_header;
use params::Params;
use requests::{NewRefund, NewSession};
pub use store::Store;
use store::{Emitted, Replay};

/// Stripe's limit on an idempotency key's length.
const IDEMPOTENCY_KEY_LEN: usize = 255;

/// Currencies whose amounts Stripe counts in whole units.
const ZERO_DECIMAL: &[&str] = &[
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
];

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/checkout/sessions", web::post().to(create_session))
        .route("/v1/checkout/sessions/{id}", web::get().to(get_session))
        .route("/v1/payment_intents/{id}", web::get().to(get_intent))
        .route("/v1/charges/{id}", web::get().to(get_charge))
        .route("/v1/refunds", web::post().to(create_refund));
}

async fn create_session(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, StripeError> {
    authorize(&req, &state.settings.stripe_secret_key)?;
    let params = Params::parse(&body)?;
    idempotent(&state, &req, &params, |store| {
        let new = NewSession::parse(&params)?;
        Ok((store.create_session(new, &state.public_url), Vec::new()))
    })
}

async fn create_refund(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, StripeError> {
    authorize(&req, &state.settings.stripe_secret_key)?;
    let params = Params::parse(&body)?;
    idempotent(&state, &req, &params, |store| {
        store.refund(NewRefund::parse(&params)?)
    })
}

/// Runs a POST once per `Idempotency-Key`: a repeat with the same parameters gets the first
/// answer again; with other parameters, an `idempotency_error`. Failed validations are not
/// kept, as in Stripe. The store's lock is held throughout, so two racing repeats never both run.
fn idempotent(
    state: &AppState,
    req: &HttpRequest,
    params: &Params,
    op: impl FnOnce(&mut Store) -> Result<(Value, Vec<Emitted>), StripeError>,
) -> Result<HttpResponse, StripeError> {
    let key = req
        .headers()
        .get("Idempotency-Key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if key.as_ref().is_some_and(|k| k.len() > IDEMPOTENCY_KEY_LEN) {
        return Err(StripeError::invalid(format!(
            "Idempotency keys can have up to {IDEMPOTENCY_KEY_LEN} characters"
        )));
    }
    let fingerprint = format!("{} {}", req.path(), params.fingerprint());
    let mut store = lock(&state.stripe);
    if let Some(key) = &key
        && let Some(replay) = store.replays.get(key)
    {
        if replay.fingerprint != fingerprint {
            return Err(StripeError::idempotency(key));
        }
        return Ok(HttpResponse::Ok()
            .insert_header(("Idempotent-Replayed", "true"))
            .json(&replay.body));
    }
    let (body, emitted) = op(&mut store)?;
    if let Some(key) = &key {
        let replay = Replay {
            fingerprint,
            body: body.clone(),
        };
        store.replays.insert(key.clone(), replay);
    }
    drop(store);
    state
        .courier
        .send(events::callbacks(&state.settings, emitted, key.as_deref()));
    Ok(HttpResponse::Ok().json(body))
}

async fn get_session(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, StripeError> {
    authorize(&req, &state.settings.stripe_secret_key)?;
    let found = lock(&state.stripe).session(&id).map(|s| s.json());
    found_or_404(found, "checkout.session", &id)
}

async fn get_intent(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, StripeError> {
    authorize(&req, &state.settings.stripe_secret_key)?;
    let found = lock(&state.stripe).intent_json(&id);
    found_or_404(found, "payment_intent", &id)
}

async fn get_charge(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, StripeError> {
    authorize(&req, &state.settings.stripe_secret_key)?;
    let found = lock(&state.stripe).charge_json(&id);
    found_or_404(found, "charge", &id)
}

fn found_or_404(found: Option<Value>, object: &str, id: &str) -> Result<HttpResponse, StripeError> {
    found
        .map(|body| HttpResponse::Ok().json(body))
        .ok_or_else(|| StripeError::no_such(object, id, StatusCode::NOT_FOUND).param("id"))
}

/// The customer's action on the checkout page of session `id`.
pub fn act(state: &AppState, id: &str, action: Action) -> Result<Acted, ActError> {
    let mut store = lock(&state.stripe);
    let emitted = store.act(id, action)?;
    let session = store.session(id).ok_or(ActError::NotFound)?;
    let snapshot = json!({
        "session": session.json(),
        "payment_intent": store.intent_json(&session.payment_intent),
    });
    let go = |url: &Option<String>, outcome: &str| match url {
        Some(url) => Next::Redirect(url.replace("{CHECKOUT_SESSION_ID}", id)),
        None => Next::Done(outcome.into()),
    };
    let next = match action {
        Action::Pay => go(&session.new.success_url, "The payment succeeded."),
        Action::Fail => Next::Retry("Your card was declined. Try again, or cancel."),
        Action::Cancel => go(&session.new.cancel_url, "The checkout session has expired."),
    };
    drop(store);
    state
        .courier
        .send(events::callbacks(&state.settings, emitted, None));
    Ok(Acted {
        state: snapshot,
        next,
    })
}

pub fn view(state: &AppState, id: &str) -> Option<View> {
    let store = lock(&state.stripe);
    let session = store.session(id)?;
    let new = &session.new;
    let money = |amount: i64| format_amount(amount, &new.currency);
    Some(View {
        provider: "Stripe",
        amount: money(new.amount_total),
        currency: new.currency.to_ascii_uppercase(),
        lines: new
            .line_items
            .iter()
            .map(|i| format!("{} × {} — {}", i.quantity, i.name, money(i.unit_amount)))
            .collect(),
        status: session.status().into(),
        open: session.is_open(),
        hint: "Pay charges the card (checkout.session.completed, payment_intent.succeeded). \
               Fail declines it (payment_intent.payment_failed); the customer may retry. \
               Cancel expires the session (checkout.session.expired, payment_intent.canceled).",
    })
}

/// Stripe's amounts are in the currency's smallest unit.
fn format_amount(amount: i64, currency: &str) -> String {
    if ZERO_DECIMAL.contains(&currency) {
        amount.to_string()
    } else {
        format!("{}.{:02}", amount / 100, amount % 100)
    }
}
