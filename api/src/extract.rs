//! Extractor configuration: malformed JSON, unknown fields, bad query strings and oversized
//! bodies all become problem+json instead of actix's plain-text errors.

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::web;

use crate::body_timeout::unreadable;
use crate::error::ApiError;

pub fn json_config(limit_bytes: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit_bytes)
        .error_handler(|err, _req| {
            match err {
                JsonPayloadError::Overflow { .. }
                | JsonPayloadError::OverflowKnownLength { .. } => ApiError::PayloadTooLarge,
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
            .into()
        })
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
