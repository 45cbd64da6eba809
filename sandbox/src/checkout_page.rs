//! The customer's side: the checkout page (Stripe's and CinetPay's hosted pages, and PayGate's
//! approval on the phone), and what happens after a button is pressed.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::actions::{self, ActError, Action, Next, Provider};
use crate::html;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct ActionForm {
    action: Action,
}

/// Stripe's and CinetPay's pages share one route shape; PayGate's has its own.
#[derive(Deserialize)]
pub struct HostedPath {
    provider: Provider,
    id: String,
}

pub async fn show_hosted(state: web::Data<AppState>, path: web::Path<HostedPath>) -> HttpResponse {
    hosted(&path).map_or_else(not_found, |p| show(&state, p, &path.id))
}

pub async fn act_hosted(
    state: web::Data<AppState>,
    path: web::Path<HostedPath>,
    form: web::Form<ActionForm>,
) -> HttpResponse {
    hosted(&path).map_or_else(not_found, |p| act(&state, p, &path.id, form.action))
}

pub async fn show_paygate(state: web::Data<AppState>, id: web::Path<String>) -> HttpResponse {
    show(&state, Provider::PayGate, &id)
}

pub async fn act_paygate(
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<ActionForm>,
) -> HttpResponse {
    act(&state, Provider::PayGate, &id, form.action)
}

/// PayGate has no hosted page for its direct API, so `/checkout/paygate/...` does not exist.
fn hosted(path: &HostedPath) -> Option<Provider> {
    (path.provider != Provider::PayGate).then_some(path.provider)
}

fn show(state: &AppState, provider: Provider, id: &str) -> HttpResponse {
    match actions::view(state, provider, id) {
        Some(view) => page(html::checkout(&state.settings.merchant_name, &view, None)),
        None => not_found(),
    }
}

fn act(state: &AppState, provider: Provider, id: &str, action: Action) -> HttpResponse {
    let acted = match actions::act(state, provider, id, action) {
        Ok(acted) => acted,
        Err(ActError::NotFound) => return not_found(),
        Err(error @ ActError::Closed(_)) => {
            return HttpResponse::Conflict()
                .content_type("text/html; charset=utf-8")
                .body(html::message("Already settled", &error.to_string()));
        }
    };
    match acted.next {
        // 303 so that the browser follows with a GET whatever the form's method was.
        Next::Redirect(url) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, url))
            .finish(),
        Next::PostBack { url, fields } => page(html::post_back(&url, &fields)),
        Next::Retry(notice) => match actions::view(state, provider, id) {
            Some(view) => page(html::checkout(
                &state.settings.merchant_name,
                &view,
                Some(notice),
            )),
            None => not_found(),
        },
        Next::Done(outcome) => page(html::message("Payment recorded", &outcome)),
    }
}

fn page(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body)
}

fn not_found() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/html; charset=utf-8")
        .body(html::message(
            "Unknown payment",
            "This sandbox holds no such payment (it keeps payments in memory until it restarts).",
        ))
}
