//! `Idempotency-Key` for POST routes. A handler takes the [`IdempotencyKey`] extractor and runs
//! its write through [`idempotent`]:
//!
//! ```ignore
//! let reply = idempotent(&state, caller.id, "orders.create", &key, &body, async |tx| {
//!     /* the business write, in `tx` */
//!     Ok((StatusCode::CREATED, json))
//! })
//! .await?;
//! Ok(reply.into_response(location))
//! ```
//!
//! The key is claimed in the same transaction as the write and its response stored before the
//! commit, so a replay with the same key and body gets the first response (with
//! `Idempotent-Replayed: true`), the same key with another body is 422
//! `idempotency_key_reused`, and a duplicate arriving while the first is still running is 409
//! `idempotency_key_in_use` (retry it). Only successful responses are stored: a refused request
//! wrote nothing, and running it again with the same key is safe.

use std::future::{Ready, ready};

use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

use comptoir_domain::idempotency::{self, Claim, MAX_KEY_CHARS};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub const HEADER: &str = "Idempotency-Key";
pub const REPLAYED_HEADER: &str = "Idempotent-Replayed";

/// The request's `Idempotency-Key` header, if any (1 to 255 visible ASCII characters). A
/// malformed one is refused by [`idempotent`], inside the handler: the extractor failing would
/// answer 422 before the handler's guard answers 401 or 403.
#[derive(Debug)]
pub struct IdempotencyKey(Result<Option<String>, ()>);

impl IdempotencyKey {
    fn key(&self) -> ApiResult<Option<&str>> {
        self.0.as_ref().map(Option::as_deref).map_err(|()| {
            ApiError::field(
                HEADER,
                format!("must be 1 to {MAX_KEY_CHARS} visible ASCII characters"),
            )
        })
    }
}

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(value) = req.headers().get(HEADER) else {
            return ready(Ok(Self(Ok(None))));
        };
        let key = value
            .to_str()
            .ok()
            .map(str::trim)
            .filter(|key| !key.is_empty() && key.len() <= MAX_KEY_CHARS);
        ready(Ok(Self(key.map(|key| Some(key.to_owned())).ok_or(()))))
    }
}

/// A response that may be a replay of the first one.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub replayed: bool,
}

impl Reply {
    pub fn into_response(self, location: Option<String>) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if let Some(location) = location {
            response.insert_header(("Location", location));
        }
        if self.replayed {
            response.insert_header((REPLAYED_HEADER, "true"));
        }
        response.json(self.body)
    }
}

/// Runs `write` in a transaction, at most once per (`user_id`, `route`, key): see the module
/// documentation. `request` is what identifies the request body (its canonical JSON is hashed).
/// The transaction is committed through the job producer, so jobs enqueued in it go out at once.
pub async fn idempotent<F>(
    state: &AppState,
    user_id: Uuid,
    route: &'static str,
    key: &IdempotencyKey,
    request: &impl Serialize,
    write: F,
) -> ApiResult<Reply>
where
    F: AsyncFnOnce(&mut PgConnection) -> ApiResult<(StatusCode, Value)>,
{
    let key = key.key()?;
    let mut tx = state.pool.begin().await?;
    if let Some(key) = key {
        let canonical = serde_json::to_vec(request).map_err(ApiError::internal)?;
        let hash = Sha256::digest(&canonical);
        match idempotency::claim(&mut tx, user_id, route, key, &hash).await? {
            Claim::Fresh => {}
            Claim::Replay { status, body } => {
                return Ok(Reply {
                    status: StatusCode::from_u16(status).map_err(ApiError::internal)?,
                    body,
                    replayed: true,
                });
            }
            Claim::Reused => {
                return Err(ApiError::Unprocessable {
                    code: "idempotency_key_reused",
                    detail: "this Idempotency-Key was used with another request body".to_owned(),
                });
            }
            Claim::InFlight => {
                return Err(ApiError::Conflict {
                    code: "idempotency_key_in_use",
                    detail: "a request with this Idempotency-Key is in progress; retry shortly"
                        .to_owned(),
                });
            }
        }
    }
    let (status, body) = write(&mut tx).await?;
    if let Some(key) = key {
        idempotency::complete(&mut tx, user_id, route, key, status.as_u16(), &body).await?;
    }
    state.producer.commit(tx).await?;
    Ok(Reply {
        status,
        body,
        replayed: false,
    })
}
