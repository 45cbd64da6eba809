//! Extractor configuration: malformed JSON, unknown fields, bad query strings and oversized
//! bodies all become problem+json instead of actix's plain-text errors.

use std::future::{Ready, ready};
use std::marker::PhantomData;

use actix_web::dev::{JsonBody, Payload};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;

use crate::body_timeout::unreadable;
use crate::error::ApiError;
use crate::state::AppState;

/// The problem a JSON body's failure answers.
fn json_error(err: JsonPayloadError) -> ApiError {
    match err {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::PayloadTooLarge
        }
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
        JsonPayloadError::Payload(err) => unreadable(&err),
        // Not JSON at all (a syntax error, a cut-off body, nesting past serde_json's
        // depth limit) is the client's bug: 400. Well-formed JSON of the wrong shape: 422.
        JsonPayloadError::Deserialize(err) if !err.is_data() => ApiError::bad_request(
            "malformed_json",
            format!("the body is not valid JSON: {err}"),
        ),
        JsonPayloadError::Deserialize(err) => ApiError::Validation {
            detail: format!("the JSON body does not match the schema: {err}"),
            errors: Default::default(),
        },
        other => ApiError::Validation {
            detail: format!("the JSON body could not be read: {other}"),
            errors: Default::default(),
        },
    }
}

pub fn json_config(limit_bytes: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit_bytes)
        .error_handler(|err, _req| json_error(err).into())
}

/// A JSON body read only when the handler asks, once its guard has let the caller in. actix
/// polls a handler's extractors together, so next to a `web::Json` a guard still reading the
/// caller from the database lost the race: a refused (or banned) caller was answered 422 about a
/// body nobody would act on. Handlers take the guard and this, then call [`DeferredJson::read`]
/// after their role checks.
pub struct DeferredJson<T> {
    request: HttpRequest,
    payload: Payload,
    body: PhantomData<T>,
}

impl<T> FromRequest for DeferredJson<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        ready(Ok(Self {
            request: req.clone(),
            payload: payload.take(),
            body: PhantomData,
        }))
    }
}

impl<T: DeserializeOwned> DeferredJson<T> {
    /// Reads and deserializes the body, with the limits and problems of `web::Json`.
    pub async fn read(mut self) -> Result<T, ApiError> {
        let limit = self
            .request
            .app_data::<web::Data<AppState>>()
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("AppState missing")))?
            .settings
            .server
            .json_limit_bytes;
        JsonBody::<T>::new(&self.request, &mut self.payload, None, true)
            .limit(limit)
            .await
            .map_err(json_error)
    }
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _req| {
        ApiError::Validation {
            detail: format!("invalid query string: {err}"),
            errors: Default::default(),
        }
        .into()
    })
}

/// A path segment that does not parse (e.g. a malformed UUID) names no resource.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_err: PathError, _req| ApiError::NotFound.into())
}
