//! Per-request observability: a request id (taken from `X-Request-Id` or minted), a tracing span
//! carrying it, one access-log line, and Prometheus metrics by route pattern.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The caller's `X-Request-Id` when it is a plain token (a UUID, or `[A-Za-z0-9._-]{1,64}`),
/// so that what we echo and log cannot carry quotes, braces or log-line tricks; else a new one.
fn request_id(req: &ServiceRequest) -> String {
    let plain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-');
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|id| (1..=64).contains(&id.len()) && id.bytes().all(plain))
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned)
}

/// The method as a metrics label: the standard ones by name, anything a client invents as
/// `other`, so that label values stay bounded.
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [Method; 7] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
    ];
    KNOWN
        .iter()
        .find(|known| *known == method)
        .map_or("other", Method::as_str)
}

/// Inner layers answer refusals as responses (not `Err`), so those carry the request id and are
/// counted too.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = request_id(&req);
    let method = method_label(req.method());
    let span = tracing::info_span!("request", request_id = %id, method, path = %req.path());
    let mut response = next.call(req).instrument(span.clone()).await?;
    let status = response.status().as_u16();
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let elapsed = started.elapsed();
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    let labels = [
        ("method", method.to_owned()),
        ("route", route),
        ("status", status.to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
    span.in_scope(|| tracing::info!(status, elapsed_ms = elapsed.as_millis() as u64, "served"));
    Ok(response)
}
