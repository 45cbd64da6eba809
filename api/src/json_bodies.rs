//! JSON bodies are checked before any extractor sees them:
//! - not JSON at all is 400 `malformed_json`, even where the extractor would first have
//!   stopped at an unknown field (`{"a":` is a syntax error, not a validation failure);
//! - JSON that is not an object is 422: serde accepts an array for a struct (its fields in
//!   order), which would skip `deny_unknown_fields`.
//!
//! A body up to `server.json_limit_bytes` is read once, checked with a parse that builds
//! nothing, and handed on as it came; a longer one is handed on unread for the extractor's 413.

use actix_web::HttpMessage;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::CONTENT_TYPE;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes, BytesMut};
use futures::{StreamExt, stream};
use serde::de::IgnoredAny;

use crate::body_timeout::unreadable;
use crate::error::ApiError;
use crate::state::AppState;

fn is_json(req: &ServiceRequest) -> bool {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// The refusal a complete body earns, if any.
fn refusal(body: &[u8]) -> Option<ApiError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace())?;
    if let Err(err) = serde_json::from_slice::<IgnoredAny>(body) {
        return Some(ApiError::bad_request(
            "malformed_json",
            format!("the body is not valid JSON: {err}"),
        ));
    }
    (*first != b'{').then(|| ApiError::Validation {
        detail: "the body must be a JSON object".to_owned(),
        errors: Default::default(),
    })
}

pub async fn checked(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let limit = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.settings.server.json_limit_bytes);
    let Some(limit) = limit.filter(|_| is_json(&req)) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    let mut complete = false;
    while body.len() <= limit {
        match payload.next().await {
            Some(Ok(chunk)) => body.extend_from_slice(&chunk),
            Some(Err(err)) => {
                return Ok(req.error_response(unreadable(&err)).map_into_right_body());
            }
            None => {
                complete = true;
                break;
            }
        }
    }
    if complete && let Some(refused) = refusal(&body) {
        return Ok(req.error_response(refused).map_into_right_body());
    }
    let replayed = stream::once(async move { Ok::<Bytes, _>(body.freeze()) })
        .chain(payload)
        .fuse();
    req.set_payload(Payload::Stream {
        payload: Box::pin(replayed),
    });
    Ok(next.call(req).await?.map_into_left_body())
}
