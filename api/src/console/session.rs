//! The console's session: an opaque token in an HttpOnly, SameSite=Strict cookie, stored hashed
//! in the API's session store (the refresh-token table), so a ban, a password reset or a logout
//! ends it like any other session; and the CSRF token bound to it.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, dev::Payload, web};
use chrono::{Duration, Utc};
use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use sha2::Sha256;
use uuid::Uuid;

use comptoir_domain::sessions::SessionKind;
use comptoir_domain::{new_id, sessions, users};

use crate::auth::tokens::{hash_refresh_token, new_refresh_token};
use crate::error::ApiError;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "comptoir_console";
/// A random value the login form's CSRF token is bound to, before there is a session.
pub const LOGIN_COOKIE: &str = "comptoir_console_login";
pub const LOGIN_PATH: &str = "/admin/login";
const SESSION_HOURS: i64 = 8;

/// An admin with a live console session.
pub struct ConsoleAdmin {
    pub user_id: Uuid,
    pub session_id: Uuid,
    /// What every form of this session carries back.
    pub csrf: String,
}

/// Why a console request is not served.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// No admin session: the browser goes to the login page.
    #[error("an admin console session is required")]
    Login,
    #[error(transparent)]
    Problem(#[from] ApiError),
}

impl ResponseError for Refusal {
    fn status_code(&self) -> actix_web::http::StatusCode {
        match self {
            Refusal::Login => actix_web::http::StatusCode::SEE_OTHER,
            Refusal::Problem(problem) => problem.status_code(),
        }
    }
    fn error_response(&self) -> HttpResponse {
        match self {
            Refusal::Login => see_other(LOGIN_PATH),
            Refusal::Problem(problem) => problem.error_response(),
        }
    }
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

pub fn app_state(req: &HttpRequest) -> Result<&web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("AppState missing")))
}

/// The admin whose session cookie `req` carries; users and sessions are read on every request,
/// so a ban, a role change or a logout elsewhere takes effect at once.
pub async fn admit(req: &HttpRequest) -> Result<ConsoleAdmin, Refusal> {
    let state = app_state(req)?;
    let cookie = req.cookie(SESSION_COOKIE).ok_or(Refusal::Login)?;
    let holder = sessions::console_holder(&state.pool, &hash_refresh_token(cookie.value()))
        .await
        .map_err(ApiError::from)?;
    let (user_id, session_id) = holder.ok_or(Refusal::Login)?;
    let user = users::find_by_id(&state.pool, user_id)
        .await
        .map_err(ApiError::from)?;
    let usable = |user: &users::User| user.erasure_requested_at.is_none() && !user.is_banned();
    if !user.is_some_and(|user| usable(&user) && user.role().is_admin()) {
        return Err(Refusal::Login);
    }
    Ok(ConsoleAdmin {
        user_id,
        session_id,
        csrf: csrf_token(state, &session_id.to_string()),
    })
}

impl FromRequest for ConsoleAdmin {
    type Error = Refusal;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Refusal>>>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { admit(&req).await })
    }
}

fn csrf_mac(state: &AppState, seed: &str) -> Hmac<Sha256> {
    let key = state.settings.auth.jwt_secret.expose().as_bytes();
    #[allow(clippy::expect_used)]
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(b"comptoir-console-csrf:");
    mac.update(seed.as_bytes());
    mac
}

/// The CSRF token of a session (or of a login form's cookie): an HMAC of it under the server's
/// secret, so it cannot be made without the secret nor moved to another session.
pub fn csrf_token(state: &AppState, seed: &str) -> String {
    hex::encode(csrf_mac(state, seed).finalize().into_bytes())
}

/// Compared in constant time.
pub fn csrf_matches(state: &AppState, seed: &str, presented: &str) -> bool {
    hex::decode(presented).is_ok_and(|bytes| csrf_mac(state, seed).verify_slice(&bytes).is_ok())
}

pub fn csrf_refused() -> ApiError {
    ApiError::Forbidden {
        code: "csrf_token_invalid",
        detail: "the form's CSRF token is missing or does not belong to this session".to_owned(),
    }
}

/// A console form's fields, read only after the session and then the CSRF token in the body
/// are checked: a caller without both is never answered about the body.
pub struct ConsoleForm<T> {
    pub admin: ConsoleAdmin,
    pub fields: T,
}

/// The `csrf` field of an urlencoded body.
pub fn csrf_field(body: &[u8]) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find_map(|(name, value)| (name == "csrf").then_some(value))
}

/// The form's fields (other than `csrf`); a shape that does not fit is 422.
pub fn form_fields<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_urlencoded::from_bytes(body).map_err(|err| ApiError::Validation {
        detail: format!("the form does not fit: {err}"),
        errors: Default::default(),
    })
}

impl<T: DeserializeOwned + 'static> FromRequest for ConsoleForm<T> {
    type Error = Refusal;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Refusal>>>>;
    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let admin = admit(&req).await?;
            let body = web::Bytes::from_request(&req, &mut payload)
                .await
                .map_err(|_| ApiError::PayloadTooLarge)?;
            let seed = admin.session_id.to_string();
            let state = app_state(&req)?;
            let signed = csrf_field(&body).is_some_and(|csrf| csrf_matches(state, &seed, &csrf));
            if !signed {
                return Err(csrf_refused().into());
            }
            let fields = form_fields(&body)?;
            Ok(ConsoleForm { admin, fields })
        })
    }
}

/// `Secure` whenever the public address is https (TLS ends at the proxy in front).
fn cookie<'a>(state: &AppState, name: &'a str, value: String, path: &'a str) -> Cookie<'a> {
    Cookie::build(name, value)
        .path(path)
        .http_only(true)
        .secure(state.settings.server.public_url.starts_with("https://"))
        .same_site(SameSite::Strict)
        .finish()
}

/// Starts a console session for `user_id`; returns its cookie.
pub async fn open(state: &AppState, user_id: Uuid) -> Result<Cookie<'static>, ApiError> {
    let token = new_refresh_token();
    let expires_at = Utc::now() + Duration::hours(SESSION_HOURS);
    sessions::insert(
        &state.pool,
        SessionKind::Console,
        user_id,
        new_id(),
        &hash_refresh_token(&token),
        expires_at,
    )
    .await?;
    let mut cookie = cookie(state, SESSION_COOKIE, token, "/admin");
    cookie.set_max_age(time::Duration::hours(SESSION_HOURS));
    Ok(cookie)
}

/// Ends the session server-side; returns the cookie that clears it in the browser.
pub async fn close(state: &AppState, session_id: Uuid) -> Result<Cookie<'static>, ApiError> {
    sessions::revoke_family(&state.pool, session_id).await?;
    let mut cookie = cookie(state, SESSION_COOKIE, String::new(), "/admin");
    cookie.make_removal();
    Ok(cookie)
}

/// The login form's cookie: the one `req` carries, or a new one.
pub fn login_seed(state: &AppState, req: &HttpRequest) -> (String, Option<Cookie<'static>>) {
    match req.cookie(LOGIN_COOKIE) {
        Some(existing) => (existing.value().to_owned(), None),
        None => {
            let seed = new_refresh_token();
            let cookie = cookie(state, LOGIN_COOKIE, seed.clone(), LOGIN_PATH);
            (seed, Some(cookie))
        }
    }
}
