//! The one role-guard mechanism: handlers name the caller they need as an extractor argument
//! (`AuthUser`, `Admin`, `MaybeUser` for routes anonymous visitors may call too). Every request re-reads the user, so bans and role
//! changes take effect at once, not when the access token expires; so do logouts and revoked
//! sessions, through the token's session id. A guarded handler takes its JSON body as
//! `extract::DeferredJson` and reads it after the guard: a refused caller is never answered about
//! a body.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use uuid::Uuid;

use comptoir_domain::types::Role;
use comptoir_domain::{sessions, users};

use crate::error::ApiError;
use crate::state::AppState;

/// An authenticated, non-banned user.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: Uuid,
    pub role: Role,
}

/// The caller if a token is presented (it must then be valid), or an anonymous visitor.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<AuthUser>);

impl MaybeUser {
    pub fn is_admin(&self) -> bool {
        self.0.as_ref().is_some_and(|user| user.role.is_admin())
    }
    pub fn id(&self) -> Option<Uuid> {
        self.0.as_ref().map(|user| user.id)
    }
}

/// An authenticated superadmin or maintainer.
#[derive(Debug, Clone)]
pub struct Admin(pub AuthUser);

fn unauthorized(detail: &str) -> ApiError {
    ApiError::Unauthorized {
        code: "unauthorized",
        detail: detail.to_owned(),
    }
}

fn forbidden(detail: &str) -> ApiError {
    ApiError::Forbidden {
        code: "forbidden",
        detail: detail.to_owned(),
    }
}

async fn authenticate(req: HttpRequest) -> Result<AuthUser, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("AppState missing")))?;
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or_else(|| unauthorized("a Bearer access token is required"))?;
    let claims = state
        .tokens
        .verify_access(token.trim())
        .ok_or_else(|| unauthorized("the access token is invalid or expired"))?;
    let user = users::find_by_id(&state.pool, claims.sub)
        .await?
        .ok_or_else(|| unauthorized("the access token's user no longer exists"))?;
    // A ban also ends every session; saying "banned" tells the user more.
    if user.is_banned() {
        return Err(banned());
    }
    // An erasure revokes the sessions and then deletes them: the account itself says it.
    if user.erasure_requested_at.is_some() || sessions::ended(&state.pool, claims.sid).await? {
        return Err(unauthorized("this session has ended: log in again"));
    }
    state.limits.user_request(user.id).await?;
    Ok(AuthUser {
        id: user.id,
        role: user.role(),
    })
}

pub fn banned() -> ApiError {
    ApiError::Forbidden {
        code: "account_banned",
        detail: "this account is banned".to_owned(),
    }
}

type Extracted<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Extracted<Self>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(authenticate(req.clone()))
    }
}

impl FromRequest for MaybeUser {
    type Error = ApiError;
    type Future = Extracted<Self>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            if req.headers().contains_key(header::AUTHORIZATION) {
                authenticate(req).await.map(|user| MaybeUser(Some(user)))
            } else {
                Ok(MaybeUser(None))
            }
        })
    }
}

/// Authenticates, then admits only callers whose role passes `allowed`.
fn guarded<T: 'static>(
    req: &HttpRequest,
    allowed: fn(Role) -> bool,
    refusal: &'static str,
    wrap: fn(AuthUser) -> T,
) -> Extracted<T> {
    let req = req.clone();
    Box::pin(async move {
        let user = authenticate(req).await?;
        if allowed(user.role) {
            Ok(wrap(user))
        } else {
            Err(forbidden(refusal))
        }
    })
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Extracted<Self>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        guarded(req, Role::is_admin, "an admin role is required", Admin)
    }
}

/// An authenticated client (the role that places orders).
#[derive(Debug, Clone)]
pub struct Client(pub AuthUser);

impl FromRequest for Client {
    type Error = ApiError;
    type Future = Extracted<Self>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        guarded(
            req,
            |role| role == Role::Client,
            "only client accounts place orders",
            Client,
        )
    }
}

/// An authenticated seller or admin (sellers then act only on the shops they own).
#[derive(Debug, Clone)]
pub struct Merchant(pub AuthUser);

impl FromRequest for Merchant {
    type Error = ApiError;
    type Future = Extracted<Self>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        guarded(
            req,
            |role| role == Role::Seller || role.is_admin(),
            "a seller or admin role is required",
            Merchant,
        )
    }
}
