//! A request body that stops arriving is cut off: no chunk for `server.body_idle_timeout_secs`
//! and the read fails, which the extractors and body readers answer 408 `request_timeout` (and
//! the connection is closed). Headers already time out in actix (`client_request_timeout`);
//! without this, a body that never finishes holds its connection forever.

use std::io;
use std::time::Duration;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::web;
use futures::stream;

use crate::error::ApiError;
use crate::state::AppState;

/// The marker of our timeout among payload errors.
const TIMED_OUT: &str = "request body idle timeout";

pub async fn idle_timeout(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let idle = req
        .app_data::<web::Data<AppState>>()
        .map(|state| Duration::from_secs(state.settings.server.body_idle_timeout_secs));
    if let Some(idle) = idle {
        let payload = req.take_payload();
        let timed = stream::unfold(Some(payload), move |payload| async move {
            let mut payload = payload?;
            match tokio::time::timeout(idle, futures::StreamExt::next(&mut payload)).await {
                Ok(Some(chunk)) => Some((chunk, Some(payload))),
                Ok(None) => None,
                // One error, then the stream ends: nobody reads a stalled body further.
                Err(_) => Some((Err(timed_out()), None)),
            }
        });
        // Fused: readers may poll again after the end.
        req.set_payload(Payload::Stream {
            payload: Box::pin(futures::StreamExt::fuse(timed)),
        });
    }
    next.call(req).await
}

fn timed_out() -> PayloadError {
    PayloadError::Io(io::Error::new(io::ErrorKind::TimedOut, TIMED_OUT))
}

/// The answer to a body that could not be read: 408 for our timeout, else 400.
pub fn unreadable(err: &PayloadError) -> ApiError {
    match err {
        PayloadError::Io(io) if io.kind() == io::ErrorKind::TimedOut => ApiError::RequestTimeout,
        _ => ApiError::bad_request(
            "unreadable_body",
            format!("the request body could not be read: {err}"),
        ),
    }
}
