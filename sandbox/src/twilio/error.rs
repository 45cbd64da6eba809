//! Twilio's error body `{code, message, more_info, status}` and its HTTP Basic check.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde_json::json;

use crate::basic_auth;
use crate::settings::Settings;

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct TwilioError {
    status: StatusCode,
    code: u32,
    message: String,
}

impl TwilioError {
    /// A 400 with Twilio's error `code`.
    pub fn invalid(code: u32, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code,
            message: message.into(),
        }
    }
}

impl ResponseError for TwilioError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header(("WWW-Authenticate", "Basic realm=\"Twilio API\""));
        }
        response.json(json!({
            "code": self.code, "message": self.message,
            "more_info": format!("https://www.twilio.com/docs/errors/{}", self.code),
            "status": self.status.as_u16(),
        }))
    }
}

/// Basic `AccountSid:AuthToken`, for the account named in the URL; anything else is Twilio's
/// 20003.
pub fn authenticate(
    req: &HttpRequest,
    path_sid: &str,
    settings: &Settings,
) -> Result<(), TwilioError> {
    let sid = &settings.twilio_account_sid;
    match basic_auth::credentials(req) {
        Some((user, token))
            if user == *sid && token == settings.twilio_auth_token && path_sid == sid =>
        {
            Ok(())
        }
        _ => Err(TwilioError {
            status: StatusCode::UNAUTHORIZED,
            code: 20003,
            message: "Authenticate".into(),
        }),
    }
}
