//! /v1/auth: register, refresh (rotating), logout, me; login is in `login.rs`.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use comptoir_domain::sessions::{self, Rotation, SessionKind};
use comptoir_domain::types::{Email, NewPassword, Phone, Role};
use comptoir_domain::users::{self, NewUser, User};
use comptoir_domain::{StoreError, new_id};
use comptoir_jobs::email::{EmailMessage, SendEmail};

use crate::auth::tokens::{hash_refresh_token, new_refresh_token};
use crate::auth::{AuthUser, banned, password};
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::extract::DeferredJson;
use crate::routes::login::invalid_credentials;
use crate::state::AppState;

/// A user as the API shows it (never the password hash).
#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Whether the phone was proven by a registration code; SMS go only to verified phones.
    pub phone_verified: bool,
    /// `fr` or `en`, when chosen.
    pub locale: Option<String>,
    pub name: String,
    #[schema(value_type = String, example = "client")]
    pub role: Role,
    pub want_shop: bool,
    pub banned: bool,
    pub created_at: DateTime<Utc>,
}

impl From<User> for UserView {
    fn from(user: User) -> Self {
        Self {
            id: user.id,
            role: user.role(),
            banned: user.is_banned(),
            phone_verified: user.phone_verified_at.is_some(),
            locale: user.locale,
            email: user.email,
            phone: user.phone,
            name: user.name,
            want_shop: user.want_shop,
            created_at: user.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

#[derive(Serialize, ToSchema)]
pub struct Session {
    pub user: UserView,
    #[serde(flatten)]
    pub tokens: TokenPair,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password: String,
    pub name: String,
    #[serde(default)]
    pub want_shop: bool,
    /// The language of the texts we send: `fr` or `en` (default: `sms.default_locale`).
    pub locale: Option<String>,
}

struct ValidRegistration {
    email: Option<Email>,
    phone: Option<Phone>,
    password: NewPassword,
    name: String,
    want_shop: bool,
    locale: Option<String>,
}

fn push(errors: &mut FieldErrors, field: &str, message: &str) {
    errors
        .entry(field.to_owned())
        .or_default()
        .push(message.to_owned());
}

impl RegisterRequest {
    fn validate(self) -> ApiResult<ValidRegistration> {
        let mut errors = FieldErrors::new();
        let email = self
            .email
            .as_deref()
            .map(Email::parse)
            .transpose()
            .unwrap_or_else(|e| {
                push(&mut errors, "email", e);
                None
            });
        let phone = self
            .phone
            .as_deref()
            .map(Phone::parse)
            .transpose()
            .unwrap_or_else(|e| {
                push(&mut errors, "phone", e);
                None
            });
        if self.email.is_none() && self.phone.is_none() {
            push(
                &mut errors,
                "email",
                "an email or a phone number is required",
            );
        }
        let password = NewPassword::parse(self.password)
            .map_err(|e| push(&mut errors, "password", e))
            .ok();
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            push(
                &mut errors,
                "name",
                "must be 1 to 200 characters, without control characters",
            );
        }
        if let Some(locale) = self.locale.as_deref().filter(|l| !["fr", "en"].contains(l)) {
            push(
                &mut errors,
                "locale",
                &format!("`{locale}` is not fr or en"),
            );
        }
        match password {
            Some(password) if errors.is_empty() => Ok(ValidRegistration {
                email,
                phone,
                password,
                name,
                want_shop: self.want_shop,
                locale: self.locale,
            }),
            _ => Err(ApiError::Validation {
                detail: "the registration is invalid".to_owned(),
                errors,
            }),
        }
    }
}

/// Issues an access token and a refresh token in `family_id` for `user`.
pub(crate) async fn open_session(
    state: &AppState,
    user: User,
    family_id: Uuid,
) -> ApiResult<Session> {
    let refresh_token = new_refresh_token();
    let expires_at = Utc::now() + state.tokens.refresh_ttl;
    let token_hash = hash_refresh_token(&refresh_token);
    let kind = SessionKind::Api;
    sessions::insert(
        &state.pool,
        kind,
        user.id,
        family_id,
        &token_hash,
        expires_at,
    )
    .await?;
    let access_token = state
        .tokens
        .issue_access(user.id, family_id, user.role())
        .map_err(ApiError::internal)?;
    Ok(Session {
        user: user.into(),
        tokens: TokenPair {
            access_token,
            refresh_token,
            token_type: "Bearer",
            expires_in: state.tokens.access_ttl.num_seconds(),
        },
    })
}

/// Creates a client account and enqueues its welcome email (in the same transaction).
#[utoipa::path(post, path = "/v1/auth/register", tag = "auth", request_body = RegisterRequest, responses(
    (status = 201, body = Session), (status = 409, description = "email or phone taken", body = crate::error::Problem),
    (status = 422, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
pub async fn register(
    state: web::Data<AppState>,
    body: web::Json<RegisterRequest>,
) -> ApiResult<HttpResponse> {
    let valid = body.into_inner().validate()?;
    let account = valid.email.as_ref().map(Email::as_str);
    if let Some(account) = account.or(valid.phone.as_ref().map(Phone::as_str)) {
        state.limits.credential_attempt(account).await?;
    }
    let password_hash = password::hash(valid.password.expose().to_owned()).await?;
    let mut tx = state.pool.begin().await?;
    let user = users::insert(
        &mut *tx,
        NewUser {
            email: valid.email.as_ref(),
            phone: valid.phone.as_ref(),
            password_hash: &password_hash,
            name: &valid.name,
            want_shop: valid.want_shop,
            role: Role::Client,
            locale: valid.locale.as_deref(),
        },
    )
    .await
    .map_err(|err| match err {
        StoreError::Conflict(constraint) if constraint.contains("phone") => ApiError::Conflict {
            code: "phone_taken",
            detail: "an account with this phone number exists".to_owned(),
        },
        StoreError::Conflict(_) => ApiError::Conflict {
            code: "email_taken",
            detail: "an account with this email exists".to_owned(),
        },
        other => other.into(),
    })?;
    if let Some(email) = &user.email {
        let welcome = SendEmail {
            to: email.clone(),
            dedupe_key: format!("welcome:{}", user.id),
            message: EmailMessage::Welcome {
                name: user.name.clone(),
            },
        };
        state.producer.enqueue(&mut tx, &welcome).await?;
    }
    state.producer.commit(tx).await?;
    tracing::info!(user_id = %user.id, "user registered");
    Ok(HttpResponse::Created().json(open_session(&state, user, new_id()).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Spends a refresh token for a new pair. Presenting a spent token again revokes its family.
#[utoipa::path(post, path = "/v1/auth/refresh", tag = "auth", request_body = RefreshRequest, responses(
    (status = 200, body = Session), (status = 401, body = crate::error::Problem),
    (status = 403, description = "account_banned", body = crate::error::Problem)))]
pub async fn refresh(
    state: web::Data<AppState>,
    body: web::Json<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let (user_id, family_id) =
        match sessions::rotate(&state.pool, &hash_refresh_token(&body.refresh_token)).await? {
            Rotation::Rotated { user_id, family_id } => (user_id, family_id),
            Rotation::Reused => {
                tracing::warn!("refresh token reuse: family revoked");
                return Err(ApiError::Unauthorized {
                    code: "refresh_token_reused",
                    detail: "this refresh token was already used; the session has been revoked"
                        .to_owned(),
                });
            }
            Rotation::Invalid { user_id } => {
                // A ban revokes every session: say so rather than "invalid".
                if let Some(user_id) = user_id
                    && users::find_by_id(&state.pool, user_id)
                        .await?
                        .is_some_and(|user| user.is_banned())
                {
                    return Err(banned());
                }
                return Err(ApiError::Unauthorized {
                    code: "invalid_refresh_token",
                    detail: "the refresh token is unknown, expired or revoked".to_owned(),
                });
            }
        };
    let user = users::find_by_id(&state.pool, user_id)
        .await?
        .ok_or_else(invalid_credentials)?;
    if user.is_banned() {
        sessions::revoke_family(&state.pool, family_id).await?;
        return Err(banned());
    }
    // A refresh that raced the account's erasure request opens nothing.
    if user.erasure_requested_at.is_some() {
        sessions::revoke_family(&state.pool, family_id).await?;
        return Err(ApiError::Unauthorized {
            code: "invalid_refresh_token",
            detail: "the refresh token is unknown, expired or revoked".to_owned(),
        });
    }
    Ok(HttpResponse::Ok().json(open_session(&state, user, family_id).await?))
}

/// Ends the session the refresh token belongs to.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", request_body = RefreshRequest,
    security(("bearer" = [])), responses((status = 204), (status = 401, body = crate::error::Problem)))]
pub async fn logout(
    state: web::Data<AppState>,
    caller: AuthUser,
    body: DeferredJson<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.read().await?;
    sessions::revoke_session(
        &state.pool,
        caller.id,
        &hash_refresh_token(&body.refresh_token),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's account.
#[utoipa::path(get, path = "/v1/auth/me", tag = "auth", security(("bearer" = [])), responses(
    (status = 200, body = UserView), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn me(state: web::Data<AppState>, caller: AuthUser) -> ApiResult<web::Json<UserView>> {
    let user = users::find_by_id(&state.pool, caller.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(web::Json(user.into()))
}
