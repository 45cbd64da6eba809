//! POST /v1/auth/login: a password checked against a budget of attempts per (account, client
//! IP), the same way for unknown accounts, in the same time.

use std::net::{IpAddr, Ipv4Addr};

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;
use utoipa::ToSchema;

use comptoir_domain::config::AuthSettings;
use comptoir_domain::login_throttle::{self, LoginGate, Policy};
use comptoir_domain::new_id;
use comptoir_domain::types::{Email, Phone};
use comptoir_domain::users::{self, User};

use super::auth::{Session, open_session};
use crate::auth::{banned, password};
use crate::error::{ApiError, ApiResult};
use crate::limits;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password: String,
}

pub(crate) fn invalid_credentials() -> ApiError {
    ApiError::Unauthorized {
        code: "invalid_credentials",
        detail: "the login or the password is wrong".to_owned(),
    }
}

async fn find_login(state: &AppState, body: &LoginRequest) -> ApiResult<Option<User>> {
    let found = match (&body.email, &body.phone) {
        (Some(email), None) => match Email::parse(email) {
            Ok(email) => users::find_by_email(&state.pool, &email).await?,
            Err(_) => None,
        },
        (None, Some(phone)) => match Phone::parse(phone) {
            Ok(phone) => users::find_by_phone(&state.pool, &phone).await?,
            Err(_) => None,
        },
        _ => {
            return Err(ApiError::field(
                "email",
                "give exactly one of email or phone",
            ));
        }
    };
    Ok(found)
}

/// Exchanges credentials for tokens. 5 failures in a row lock the account for 15 minutes.
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = LoginRequest, responses(
    (status = 200, body = Session), (status = 401, body = crate::error::Problem),
    (status = 403, description = "account_banned", body = crate::error::Problem),
    (status = 423, description = "account_locked", body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
pub async fn login(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Json<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let user = check_credentials(&state, &request, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(open_session(&state, user, new_id()).await?))
}

/// The account the credentials prove, through the attempt budget and the lockout (the JSON
/// login and the console's login page both pass here). Unknown accounts cost the same time.
pub(crate) async fn check_credentials(
    state: &AppState,
    request: &HttpRequest,
    body: LoginRequest,
) -> ApiResult<User> {
    let typed = body
        .email
        .as_deref()
        .or(body.phone.as_deref())
        .unwrap_or_default();
    state.limits.credential_attempt(typed).await?;
    let account = login_throttle::account_key(typed);
    if account.is_empty() || account.len() > 320 || account.chars().any(char::is_control) {
        // Names no account anyone could have: the same answer, in the same time.
        password::verify(body.password, state.dummy_password_hash.clone()).await?;
        return Err(invalid_credentials());
    }
    let ip = limits::client_of(request).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let policy = lockout_policy(&state.settings.auth);
    // Counted and locked the same way whether or not the account exists.
    let attempt = match login_throttle::open_attempt(&state.pool, &account, ip, policy).await? {
        LoginGate::Open { attempt } => attempt,
        LoginGate::Locked { until } => {
            let left = (until - Utc::now()).num_seconds();
            return Err(ApiError::Locked {
                retry_after_secs: u64::try_from(left).unwrap_or(0).max(1),
            });
        }
    };
    let user = find_login(state, &body).await?;
    let stored = user.as_ref().map_or_else(
        || state.dummy_password_hash.clone(),
        |user| user.password_hash.clone(),
    );
    let right = password::verify(body.password, stored).await? && user.is_some();
    let Some(user) = user.filter(|_| right) else {
        if attempt >= i32::try_from(policy.max_attempts).unwrap_or(i32::MAX) {
            login_throttle::lock(&mut *state.pool.acquire().await?, &account, ip, policy).await?;
        }
        return Err(invalid_credentials());
    };
    if user.is_banned() {
        return Err(banned());
    }
    login_throttle::forget(&state.pool, &account, ip).await?;
    Ok(user)
}

fn lockout_policy(auth: &AuthSettings) -> Policy {
    Policy {
        max_attempts: auth.max_failed_logins,
        first_lockout_secs: auth.first_lockout_secs,
        max_lockout_secs: auth.lockout_secs,
    }
}
