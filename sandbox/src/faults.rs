//! Outages on demand: `POST /sandbox/faults {provider, status?, delay_ms?, count}` makes the
//! next `count` API calls to that provider wait `delay_ms`, then answer `status` (a 5xx or a
//! 429) or, without one, answer as usual: a test can watch a client retry and recover, or kill
//! a worker while it waits on the provider. Checkout pages, the phone and test hooks are never
//! affected.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use actix_web::body::{BoxBody, EitherBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::state::{AppState, lock};

/// The provider APIs an outage can hit: the payment providers of the checkout pages and the SMS
/// providers, which have none (hence a key of its own rather than `actions::Provider`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    Stripe,
    CinetPay,
    PayGate,
    Twilio,
    AfricasTalking,
}

#[derive(Default)]
pub struct Faults(Mutex<HashMap<Api, Outage>>);

#[derive(Clone, Copy)]
struct Outage {
    status: Option<StatusCode>,
    delay: Duration,
    remaining: u32,
}

impl Faults {
    /// Takes one failed call from `provider`'s outage, if one is under way.
    fn take(&self, provider: Api) -> Option<Outage> {
        let mut outages = lock(&self.0);
        let outage = outages.get_mut(&provider)?;
        let taken = *outage;
        outage.remaining -= 1;
        if outage.remaining == 0 {
            outages.remove(&provider);
        }
        Some(taken)
    }
}

/// The API `path` belongs to.
fn api_of(path: &str) -> Option<Api> {
    const PREFIXES: [(&str, Api); 5] = [
        ("/v1/", Api::Stripe),
        ("/v2/", Api::CinetPay),
        ("/api/", Api::PayGate),
        ("/2010-04-01/", Api::Twilio),
        ("/version1/", Api::AfricasTalking),
    ];
    PREFIXES
        .iter()
        .find(|(prefix, _)| path.starts_with(prefix))
        .map(|(_, api)| *api)
}

/// Middleware: answers a provider API call with the injected failure, if any.
pub async fn inject(
    request: ServiceRequest,
    next: actix_web::middleware::Next<BoxBody>,
) -> Result<ServiceResponse<EitherBody<BoxBody>>, actix_web::Error> {
    let outage = api_of(request.path()).and_then(|provider| {
        let state = request.app_data::<web::Data<AppState>>()?;
        state.faults.take(provider)
    });
    if let Some(outage) = outage {
        tokio::time::sleep(outage.delay).await;
    }
    match outage.and_then(|outage| outage.status) {
        Some(status) => {
            let response = HttpResponse::build(status)
                .json(json!({"error": {"message": "sandbox outage (injected)"}}));
            Ok(request.into_response(response).map_into_right_body())
        }
        None => next.call(request).await.map(|r| r.map_into_left_body()),
    }
}

#[derive(Deserialize)]
pub struct OutageRequest {
    provider: Api,
    status: Option<u16>,
    #[serde(default)]
    delay_ms: u64,
    count: u32,
}

/// `POST /sandbox/faults`: starts an outage of `count` failed calls (0 ends one).
pub async fn start(state: web::Data<AppState>, body: web::Json<OutageRequest>) -> HttpResponse {
    let OutageRequest {
        provider,
        status,
        delay_ms,
        count,
    } = body.into_inner();
    let Ok(status) = status.map(StatusCode::from_u16).transpose() else {
        return HttpResponse::BadRequest().json(json!({"error": "not an HTTP status"}));
    };
    let mut outages = lock(&state.faults.0);
    if count == 0 {
        outages.remove(&provider);
    } else {
        outages.insert(
            provider,
            Outage {
                status,
                delay: Duration::from_millis(delay_ms),
                remaining: count,
            },
        );
    }
    HttpResponse::Ok().json(json!({"provider": provider, "count": count}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_each_api_by_its_prefix() {
        assert_eq!(api_of("/v1/refunds"), Some(Api::Stripe));
        assert_eq!(api_of("/v2/payment"), Some(Api::CinetPay));
        assert_eq!(api_of("/api/v1/pay"), Some(Api::PayGate));
        assert_eq!(
            api_of("/2010-04-01/Accounts/AC1/Messages.json"),
            Some(Api::Twilio)
        );
        assert_eq!(api_of("/version1/messaging"), Some(Api::AfricasTalking));
        assert_eq!(api_of("/sandbox/sms"), None);
        assert_eq!(api_of("/checkout/stripe/cs_1"), None);
    }

    #[test]
    fn names_providers_as_before() {
        let names = serde_json::to_value([
            Api::Stripe,
            Api::CinetPay,
            Api::PayGate,
            Api::Twilio,
            Api::AfricasTalking,
        ])
        .ok();
        assert_eq!(
            names,
            Some(json!([
                "stripe",
                "cinetpay",
                "paygate",
                "twilio",
                "africastalking"
            ]))
        );
    }
}
