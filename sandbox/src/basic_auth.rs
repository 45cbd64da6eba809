//! HTTP Basic credentials, as Stripe (secret key as username) and Twilio (AccountSid and
//! AuthToken) take them.

use actix_web::HttpRequest;
use actix_web::http::header::AUTHORIZATION;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// `(username, password)` from `Authorization: Basic …`; without a `:` the whole decoded text
/// is the username. `None` when the header is absent or not Basic.
pub fn credentials(req: &HttpRequest) -> Option<(String, String)> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = STANDARD.decode(encoded.trim()).unwrap_or_default();
    let text = String::from_utf8_lossy(&decoded);
    Some(match text.split_once(':') {
        Some((user, password)) => (user.to_owned(), password.to_owned()),
        None => (text.into_owned(), String::new()),
    })
}
