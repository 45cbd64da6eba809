//! Stripe's error envelope and its API-key check.

use actix_web::http::StatusCode;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde_json::{Value, json};

use crate::basic_auth;

/// `{"error":{"type":..., "code":..., "message":..., "param":...}}` with its HTTP status.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct StripeError {
    status: StatusCode,
    kind: &'static str,
    code: Option<&'static str>,
    message: String,
    param: Option<String>,
}

impl StripeError {
    /// A 400 `invalid_request_error`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid_request_error",
            code: None,
            message: message.into(),
            param: None,
        }
    }

    pub fn code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    pub fn param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    pub fn missing(param: &str) -> Self {
        Self::invalid(format!("Missing required param: {param}."))
            .code("parameter_missing")
            .param(param)
    }

    /// Stripe answers an unknown id with 404 on GETs and 400 when a parameter names it.
    pub fn no_such(object: &str, id: &str, status: StatusCode) -> Self {
        Self {
            status,
            ..Self::invalid(format!("No such {object}: '{id}'"))
        }
        .code("resource_missing")
    }

    pub fn idempotency(key: &str) -> Self {
        Self {
            kind: "idempotency_error",
            ..Self::invalid(format!(
                "Keys for idempotent requests can only be used with the same parameters they \
                 were first used with. Try using a key other than '{key}' if you meant to \
                 execute a different request."
            ))
        }
    }

    fn unauthorized(message: String) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            ..Self::invalid(message)
        }
    }

    pub fn body(&self) -> Value {
        let mut error = json!({"type": self.kind, "message": self.message});
        if let Some(code) = self.code {
            error["code"] = json!(code);
        }
        if let Some(param) = &self.param {
            error["param"] = json!(param);
        }
        json!({ "error": error })
    }
}

impl ResponseError for StripeError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(self.body())
    }
}

/// Accepts the secret key as HTTP Basic username (empty password) or as a Bearer token.
pub fn authorize(req: &HttpRequest, secret_key: &str) -> Result<(), StripeError> {
    let Some(value) = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Err(StripeError::unauthorized(
            "You did not provide an API key. You need to provide your API key in the \
             Authorization header, using Bearer auth (e.g. 'Authorization: Bearer \
             YOUR_SECRET_KEY')."
                .into(),
        ));
    };
    let key = if let Some(token) = value.strip_prefix("Bearer ") {
        token.trim().to_owned()
    } else {
        basic_auth::credentials(req).map_or_else(String::new, |(user, _)| user)
    };
    if key == secret_key {
        return Ok(());
    }
    // Stripe shows only the key's last four characters.
    let tail: String = key
        .chars()
        .skip(key.chars().count().saturating_sub(4))
        .collect();
    Err(StripeError::unauthorized(format!(
        "Invalid API Key provided: ****{tail}"
    )))
}
