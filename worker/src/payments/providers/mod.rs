//! HTTP clients of the payment providers (Stripe, CinetPay, PayGate), written from their wire
//! formats and sharing nothing with the sandbox that stands in for them. Each call decides at
//! the error site whether retrying can help.

pub mod cinetpay;
pub mod paygate;
pub mod stripe;

use std::time::Duration;

use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;

/// How a provider call failed.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// A timeout, a 5xx, a 429, an unreadable answer: the call is retried later.
    #[error("provider unavailable: {0:#}")]
    Transient(anyhow::Error),
    /// The provider refused the request for good (validation): its message.
    #[error("provider refused: {0}")]
    Refused(String),
}

pub type ProviderResult<T> = Result<T, ProviderError>;

fn transient(err: impl Into<anyhow::Error>) -> ProviderError {
    ProviderError::Transient(err.into())
}

/// A client with the provider's timeout; rustls, no system proxy.
pub fn http_client(timeout_secs: u64) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_secs(timeout_secs.max(1)))
        .connect_timeout(Duration::from_secs(timeout_secs.clamp(1, 5)))
        .user_agent(concat!("comptoir/", env!("CARGO_PKG_VERSION")))
        .no_proxy()
        .build()?)
}

/// Sends `request` and returns the HTTP status and the JSON body. Network errors, 429 and 5xx
/// are transient; other statuses are for the caller to read.
async fn send(request: RequestBuilder) -> ProviderResult<(StatusCode, Value)> {
    let response = request.send().await.map_err(transient)?;
    let status = response.status();
    let body = response.bytes().await.map_err(transient)?;
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        return Err(transient(anyhow::anyhow!(
            "HTTP {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        )));
    }
    let json = serde_json::from_slice(&body).map_err(|err| {
        transient(anyhow::anyhow!(
            "HTTP {status} with a body that is not JSON: {err}"
        ))
    })?;
    Ok((status, json))
}

/// A text or numeric JSON field as text (providers send ids and amounts either way).
fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}
