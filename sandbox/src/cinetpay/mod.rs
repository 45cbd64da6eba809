//! CinetPay's v2 checkout API: initialise a payment, check it, and notify the merchant when the
//! customer acts on the hosted page.

mod notify;
mod request;
mod store;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use crate::actions::{ActError, Acted, Action, Next, Provider, View};
use crate::ids;
use crate::state::{AppState, lock};
use request::{Init, Refusal, api_response_id, authenticate, object, text};
pub use store::Store;
use store::{Status, Transaction};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/v2/payment", web::post().to(init))
        .route("/v2/payment/check", web::post().to(check));
}

/// `POST /v2/payment`.
async fn init(state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    respond(create(&state, &body))
}

/// `POST /v2/payment/check`, by `transaction_id` or by `token`.
async fn check(state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    respond(status(&state, &body))
}

fn respond(result: Result<Value, Refusal>) -> HttpResponse {
    match result {
        Ok(body) => HttpResponse::Ok().json(body),
        Err(refusal) => refusal.response(),
    }
}

fn create(state: &AppState, body: &[u8]) -> Result<Value, Refusal> {
    let body = object(body)?;
    authenticate(&body, &state.settings)?;
    let init = Init::parse(&body)?;
    let token = ids::hex(64);
    let payment_url = format!(
        "{}{}",
        state.public_url,
        Provider::CinetPay.page_path(&token)
    );
    let tx = Transaction {
        token: token.clone(),
        transaction_id: init.transaction_id,
        amount: init.amount,
        currency: init.currency,
        description: init.description,
        notify_url: init.notify_url,
        return_url: init.return_url,
        metadata: init.metadata,
        lang: init.lang,
        status: Status::Waiting,
        settled_at: None,
        operator_id: None,
    };
    let transaction_id = tx.transaction_id.clone();
    if !lock(&state.cinetpay).insert(tx) {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "624",
            "TRANSACTION_ID_ALREADY_USED",
            format!("transaction_id {transaction_id} is already used"),
        ));
    }
    Ok(json!({
        "code": "201", "message": "CREATED",
        "description": "Transaction created with success",
        "data": {"payment_token": token, "payment_url": payment_url},
        "api_response_id": api_response_id(),
    }))
}

fn status(state: &AppState, body: &[u8]) -> Result<Value, Refusal> {
    let body = object(body)?;
    authenticate(&body, &state.settings)?;
    let id = text(&body, "transaction_id")
        .or_else(|| text(&body, "token"))
        .ok_or_else(|| {
            Refusal::new(
                StatusCode::BAD_REQUEST,
                "608",
                "MINIMUM_REQUIRED_FIELDS",
                "transaction_id or token is required",
            )
        })?;
    lock(&state.cinetpay)
        .find(&id)
        .map(|tx| tx.check_body(api_response_id()))
        .ok_or_else(|| {
            Refusal::new(
                StatusCode::NOT_FOUND,
                "404",
                "TRANSACTION_NOT_FOUND",
                format!("no transaction {id}"),
            )
        })
}

/// The customer's action on the page of the payment whose token (or transaction_id) is `id`.
pub fn act(state: &AppState, id: &str, action: Action) -> Result<Acted, ActError> {
    let mut store = lock(&state.cinetpay);
    let tx = store.find_mut(id).ok_or(ActError::NotFound)?;
    if tx.status != Status::Waiting {
        return Err(ActError::Closed(tx.status_name().into()));
    }
    let now = chrono::Utc::now();
    tx.settled_at = Some(now);
    tx.status = match action {
        Action::Pay => {
            tx.operator_id = Some(format!(
                "MP{}.{}",
                now.format("%y%m%d.%H%M"),
                ids::digits(4)
            ));
            Status::Accepted
        }
        Action::Fail => Status::Refused("PAYMENT_FAILED"),
        Action::Cancel => Status::Refused("TRANSACTION_CANCEL"),
    };
    let settings = &state.settings;
    let callbacks = notify::callbacks(
        tx,
        &settings.cinetpay_site_id,
        &settings.cinetpay_secret_key,
    );
    let acted = Acted {
        state: tx.check_body(api_response_id()),
        // CinetPay sends the customer back by POSTing the transaction to return_url.
        next: Next::PostBack {
            url: tx.return_url.clone(),
            fields: vec![
                ("transaction_id", tx.transaction_id.clone()),
                ("token", tx.token.clone()),
            ],
        },
    };
    drop(store);
    state.courier.send(callbacks);
    Ok(acted)
}

pub fn view(state: &AppState, id: &str) -> Option<View> {
    let store = lock(&state.cinetpay);
    let tx = store.find(id)?;
    Some(View {
        provider: "CinetPay",
        amount: tx.amount.to_string(),
        currency: tx.currency.clone(),
        lines: vec![
            tx.description.clone(),
            format!("Transaction {}", tx.transaction_id),
        ],
        status: tx.status_name().into(),
        open: tx.status == Status::Waiting,
        hint: "Pay accepts the payment (ACCEPTED), Fail refuses it (REFUSED, PAYMENT_FAILED), \
               Cancel abandons it (REFUSED, TRANSACTION_CANCEL). Each pings notify_url, posts \
               the signed notification there and returns the customer to return_url.",
    })
}
