//! One error type for every handler and its one mapping to RFC 9457 problem+json.
//! `code` is the stable, machine-readable part; 5xx answers never carry internals.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use comptoir_domain::StoreError;
use serde::Serialize;

pub type FieldErrors = BTreeMap<String, Vec<String>>;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A request that cannot be taken as sent (400), with its own code.
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    #[error("the request is invalid")]
    Validation { detail: String, errors: FieldErrors },
    #[error("{detail}")]
    Unauthorized { code: &'static str, detail: String },
    #[error("{detail}")]
    Forbidden { code: &'static str, detail: String },
    #[error("not found")]
    NotFound,
    #[error("no such route")]
    NoRoute,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    /// A well-formed request the current state refuses, with its own code (422).
    #[error("{detail}")]
    Unprocessable { code: &'static str, detail: String },
    #[error("the account is locked")]
    Locked { retry_after_secs: u64 },
    #[error("too many requests")]
    /// `limit`: the budget per window, when one applies (for the RateLimit-* headers).
    RateLimited {
        retry_after_secs: u64,
        limit: Option<u32>,
    },
    #[error("too many connections from this address")]
    TooManyConnections,
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("the request body was not sent in time")]
    RequestTimeout,
    #[error("{0}")]
    Unavailable(&'static str),
    /// A statement ran past its `statement_timeout` (SQLSTATE 57014): 503 with Retry-After.
    #[error("the query took too long")]
    QueryTimeout,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    /// Stable, machine-readable error code.
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Field name → messages, for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<FieldErrors>,
}

impl ApiError {
    /// A validation error on one field.
    pub fn field(name: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors
            .entry(name.to_owned())
            .or_default()
            .push(message.into());
        Self::Validation {
            detail: format!("`{name}` is invalid"),
            errors,
        }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            detail: detail.into(),
        }
    }

    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        Self::Internal(err.into())
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Validation { .. } => "validation_failed",
            ApiError::BadRequest { code, .. }
            | ApiError::Unauthorized { code, .. }
            | ApiError::Forbidden { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::Unprocessable { code, .. } => code,
            ApiError::NotFound => "not_found",
            ApiError::NoRoute => "route_not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Locked { .. } => "account_locked",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::TooManyConnections => "too_many_connections",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::RequestTimeout => "request_timeout",
            ApiError::Unavailable(_) => "service_unavailable",
            ApiError::QueryTimeout => "query_timeout",
            ApiError::Internal(_) => "internal_error",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::BadRequest { .. } => "Bad request",
            ApiError::Validation { .. } => "Validation failed",
            ApiError::Unprocessable { .. } => "Unprocessable request",
            ApiError::Unauthorized { .. } => "Unauthorized",
            ApiError::Forbidden { .. } => "Forbidden",
            ApiError::NotFound | ApiError::NoRoute => "Not found",
            ApiError::MethodNotAllowed => "Method not allowed",
            ApiError::Conflict { .. } => "Conflict",
            ApiError::Locked { .. } => "Account locked",
            ApiError::RateLimited { .. } => "Too many requests",
            ApiError::TooManyConnections => "Too many connections",
            ApiError::PayloadTooLarge => "Payload too large",
            ApiError::UnsupportedMediaType => "Unsupported media type",
            ApiError::RequestTimeout => "Request timeout",
            ApiError::Unavailable(_) | ApiError::QueryTimeout => "Service unavailable",
            ApiError::Internal(_) => "Internal server error",
        }
    }

    fn detail(&self) -> Option<String> {
        match self {
            ApiError::BadRequest { detail, .. }
            | ApiError::Validation { detail, .. }
            | ApiError::Unauthorized { detail, .. }
            | ApiError::Forbidden { detail, .. }
            | ApiError::Conflict { detail, .. }
            | ApiError::Unprocessable { detail, .. } => Some(detail.clone()),
            ApiError::Locked { retry_after_secs } => Some(format!(
                "too many failed logins; try again in {retry_after_secs} seconds"
            )),
            ApiError::RateLimited {
                retry_after_secs, ..
            } => Some(format!("retry in {retry_after_secs} seconds")),
            ApiError::RequestTimeout => {
                Some("the request body stopped arriving; send it again".to_owned())
            }
            ApiError::TooManyConnections => {
                Some("this address holds too many open connections; reuse or close some".to_owned())
            }
            ApiError::Unavailable(what) => Some((*what).to_owned()),
            ApiError::QueryTimeout => {
                Some("the query took too long; try again later or narrow the filters".to_owned())
            }
            ApiError::Internal(_) => {
                Some("an unexpected error occurred; it has been logged".to_owned())
            }
            _ => None,
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::Locked { retry_after_secs }
            | ApiError::RateLimited {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            ApiError::Unavailable(_) | ApiError::QueryTimeout => Some(5),
            ApiError::TooManyConnections => Some(1),
            _ => None,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Validation { .. } | ApiError::Unprocessable { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound | ApiError::NoRoute => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Locked { .. } => StatusCode::LOCKED,
            ApiError::RateLimited { .. } | ApiError::TooManyConnections => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::Unavailable(_) | ApiError::QueryTimeout => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(err) = self {
            // The cause chain goes to the log, never to the client.
            tracing::error!(error = ?err, "internal error");
        }
        let status = self.status_code();
        let problem = Problem {
            problem_type: format!("urn:comptoir:problem:{}", self.code()),
            title: self.title().to_owned(),
            status: status.as_u16(),
            code: self.code().to_owned(),
            detail: self.detail(),
            errors: match self {
                ApiError::Validation { errors, .. } => Some(errors.clone()),
                _ => None,
            },
        };
        let mut response = HttpResponse::build(status);
        response.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        ));
        if let Some(secs) = self.retry_after() {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if let ApiError::RateLimited {
            retry_after_secs,
            limit: Some(limit),
        } = self
        {
            // draft-ietf-httpapi-ratelimit-headers
            response.insert_header(("RateLimit-Limit", limit.to_string()));
            response.insert_header(("RateLimit-Remaining", "0"));
            response.insert_header(("RateLimit-Reset", retry_after_secs.to_string()));
        }
        if matches!(
            self,
            ApiError::RequestTimeout | ApiError::TooManyConnections
        ) {
            // The client is stalled, hostile or over its share: do not keep its connection.
            response.insert_header((header::CONNECTION, HeaderValue::from_static("close")));
        }
        if status == StatusCode::UNAUTHORIZED {
            // RFC 6750: a 401 names the scheme that would have worked.
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        response.body(serde_json::to_vec(&problem).unwrap_or_default())
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(constraint) => ApiError::Conflict {
                code: "conflict",
                detail: format!("a resource with the same unique value exists ({constraint})"),
            },
            StoreError::Database(err) => err.into(),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        // Text Postgres cannot store (a NUL byte, invalid encoding) is the client's mistake.
        let code = err
            .as_database_error()
            .and_then(|db| db.code().map(|c| c.into_owned()));
        if code.as_deref() == Some("57014") {
            tracing::warn!(error = %err, "query cancelled by its statement timeout");
            return ApiError::QueryTimeout;
        }
        if matches!(code.as_deref(), Some("22021" | "22P05")) {
            return ApiError::Validation {
                detail: "the request contains characters that cannot be stored (e.g. a NUL byte)"
                    .to_owned(),
                errors: FieldErrors::new(),
            };
        }
        match err {
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                tracing::error!(error = %err, "database unavailable");
                ApiError::Unavailable("the database is unavailable")
            }
            other => ApiError::Internal(other.into()),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
