//! What a customer can do at checkout, shared by the HTML page and the JSON test hook, and the
//! dispatch to the provider that owns the payment.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::state::AppState;
use crate::{cinetpay, paygate, stripe};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Pay,
    Fail,
    Cancel,
}

/// The providers with a checkout page (outages have their own key, `faults::Api`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Stripe,
    CinetPay,
    PayGate,
}

impl Provider {
    /// Where the customer's page for payment `id` lives.
    pub fn page_path(self, id: &str) -> String {
        match self {
            Self::Stripe => format!("/checkout/stripe/{id}"),
            Self::CinetPay => format!("/checkout/cinetpay/{id}"),
            Self::PayGate => format!("/paygate/approve/{id}"),
        }
    }
}

/// The result of an action: the payment's new state (as the test hook answers it) and where
/// the customer's browser goes next.
pub struct Acted {
    pub state: Value,
    pub next: Next,
}

pub enum Next {
    /// A GET redirect (Stripe's success and cancel URLs).
    Redirect(String),
    /// A browser POST of these fields (CinetPay's return URL).
    PostBack {
        url: String,
        fields: Vec<(&'static str, String)>,
    },
    /// Stay on the checkout page with a notice (a declined card can be retried).
    Retry(&'static str),
    /// Nowhere to go: show the outcome.
    Done(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ActError {
    #[error("no such payment")]
    NotFound,
    #[error("this payment is {0}: nothing more can be done with it")]
    Closed(String),
}

/// What the checkout page shows.
pub struct View {
    pub provider: &'static str,
    pub amount: String,
    pub currency: String,
    pub lines: Vec<String>,
    pub status: String,
    pub open: bool,
    /// What each button means for this provider.
    pub hint: &'static str,
}

pub fn act(
    state: &AppState,
    provider: Provider,
    id: &str,
    action: Action,
) -> Result<Acted, ActError> {
    match provider {
        Provider::Stripe => stripe::act(state, id, action),
        Provider::CinetPay => cinetpay::act(state, id, action),
        Provider::PayGate => paygate::act(state, id, action),
    }
}

pub fn view(state: &AppState, provider: Provider, id: &str) -> Option<View> {
    match provider {
        Provider::Stripe => stripe::view(state, id),
        Provider::CinetPay => cinetpay::view(state, id),
        Provider::PayGate => paygate::view(state, id),
    }
}

/// `POST /sandbox/{provider}/{id}/{action}`: the checkout page's effect, without a browser.
pub async fn test_hook(
    state: web::Data<AppState>,
    path: web::Path<(Provider, String, Action)>,
) -> HttpResponse {
    let (provider, id, action) = path.into_inner();
    match act(&state, provider, &id, action) {
        Ok(acted) => HttpResponse::Ok().json(acted.state),
        Err(error @ ActError::NotFound) => {
            HttpResponse::NotFound().json(json!({"error": error.to_string()}))
        }
        Err(error @ ActError::Closed(_)) => {
            HttpResponse::Conflict().json(json!({"error": error.to_string()}))
        }
    }
}

/// `GET /sandbox/health`.
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}
