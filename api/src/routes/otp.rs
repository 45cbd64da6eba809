//! One-time codes by SMS: `POST /v1/auth/otp/send`, `POST /v1/auth/otp/verify` and
//! `POST /v1/auth/password/reset`. A send answers the same 202 whether or not the phone has an
//! account, after the same limits; only a phone that should get a code gets an SMS. The code
//! itself is drawn by the worker that sends it: this side only ever sees its digest.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use comptoir_domain::login_throttle;
use comptoir_domain::new_id;
use comptoir_domain::password_resets;
use comptoir_domain::sessions;
use comptoir_domain::sms::messages::{self, NewSms, SmsPurpose};
use comptoir_domain::sms::otp::{self, SendLimit};
use comptoir_domain::sms::{OtpPurpose, codes};
use comptoir_domain::types::{NewPassword, Phone};
use comptoir_domain::users::{self, User};
use comptoir_jobs::sms::SendSms;

use crate::auth::tokens::{hash_refresh_token, new_refresh_token};
use crate::auth::{banned, password};
use crate::error::{ApiError, ApiResult};
use crate::limits;
use crate::routes::auth::{UserView, open_session};
use crate::state::AppState;

/// How long a verified reset code's token stays usable.
const RESET_TOKEN_TTL_SECS: u64 = 15 * 60;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OtpSendRequest {
    /// E.164, e.g. +22890112233.
    pub phone: String,
    /// registration, login or password_reset.
    pub purpose: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OtpVerifyRequest {
    pub phone: String,
    pub purpose: String,
    pub code: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    pub reset_token: String,
    pub new_password: String,
}

fn parse(state: &AppState, phone: &str, purpose: &str) -> ApiResult<(Phone, OtpPurpose)> {
    let phone = Phone::parse(phone).map_err(|reason| ApiError::field("phone", reason))?;
    let purpose = OtpPurpose::parse(purpose).ok_or_else(|| {
        ApiError::field("purpose", "must be registration, login or password_reset")
    })?;
    if !state.settings.sms.allows(phone.as_str()) {
        return Err(ApiError::Unprocessable {
            code: "phone_not_allowed",
            detail: "text messages are not sent to this country".to_owned(),
        });
    }
    Ok((phone, purpose))
}

/// Whether `user` (the account holding the phone, if any) should get a code for `purpose`.
fn should_send(user: Option<&User>, purpose: OtpPurpose) -> bool {
    match (user, purpose) {
        (Some(user), _) if user.is_banned() => false,
        (Some(user), OtpPurpose::Registration) => user.phone_verified_at.is_none(),
        (Some(_), _) => true,
        (None, _) => false,
    }
}

fn sms_purpose(purpose: OtpPurpose) -> SmsPurpose {
    match purpose {
        OtpPurpose::Registration => SmsPurpose::OtpRegistration,
        OtpPurpose::Login => SmsPurpose::OtpLogin,
        OtpPurpose::PasswordReset => SmsPurpose::OtpPasswordReset,
    }
}

#[utoipa::path(post, path = "/v1/auth/otp/send", tag = "auth", request_body = OtpSendRequest, responses(
    (status = 202, description = "the same answer whether or not the phone has an account"),
    (status = 422, description = "validation_failed, phone_not_allowed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 429, description = "cooldown or hourly cap (per phone, per IP): see Retry-After", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn send(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Json<OtpSendRequest>,
) -> ApiResult<HttpResponse> {
    let (phone, purpose) = parse(&state, &body.phone, &body.purpose)?;
    state.limits.credential_attempt(phone.as_str()).await?;
    let ip = limits::client_of(&request);
    let mut tx = state.pool.begin().await?;
    if let Err(limit) =
        otp::admit_send(&mut tx, &state.settings.otp, phone.as_str(), purpose, ip).await?
    {
        let (SendLimit::Cooldown { retry_after_secs }
        | SendLimit::PhoneHourlyCap { retry_after_secs }
        | SendLimit::IpHourlyCap { retry_after_secs }) = limit;
        tx.commit().await?;
        return Err(ApiError::RateLimited {
            retry_after_secs,
            limit: None,
        });
    }
    let user = users::find_by_phone(&mut *tx, &phone).await?;
    if should_send(user.as_ref(), purpose)
        && let Some(otp_id) =
            otp::renew(&mut tx, &state.settings.otp, phone.as_str(), purpose).await?
    {
        let sms_id = messages::insert(
            &mut *tx,
            NewSms {
                to_phone: phone.as_str(),
                purpose: sms_purpose(purpose),
                user_id: user.as_ref().map(|u| u.id),
                otp_id: Some(otp_id),
                body: None,
                dedupe_key: None,
            },
        )
        .await?
        .ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!("an sms without a dedupe key conflicted"))
        })?;
        state.producer.enqueue(&mut tx, &SendSms { sms_id }).await?;
        tracing::info!(%sms_id, purpose = purpose.as_str(), "one-time code to send");
    }
    state.producer.commit(tx).await?;
    Ok(HttpResponse::Accepted().json(json!({
        "status": "accepted",
        "detail": "if this number can receive a code, it is on its way",
        "expires_in": state.settings.otp.ttl_secs,
    })))
}

fn refused(code: &'static str, detail: &str) -> ApiError {
    ApiError::Unauthorized {
        code,
        detail: detail.to_owned(),
    }
}

#[utoipa::path(post, path = "/v1/auth/otp/verify", tag = "auth", request_body = OtpVerifyRequest, responses(
    (status = 200, description = "registration: the user; login: tokens; password_reset: {reset_token, expires_in}"),
    (status = 401, description = "invalid_code, code_expired, code_exhausted", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, description = "account_banned", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn verify(
    state: web::Data<AppState>,
    body: web::Json<OtpVerifyRequest>,
) -> ApiResult<HttpResponse> {
    let (phone, purpose) = parse(&state, &body.phone, &body.purpose)?;
    state.limits.credential_attempt(phone.as_str()).await?;
    let settings = &state.settings.otp;
    let max = i32::try_from(settings.max_attempts).unwrap_or(i32::MAX);
    let mut tx = state.pool.begin().await?;
    let Some(live) = otp::lock_live(&mut tx, phone.as_str(), purpose).await? else {
        return Err(refused("invalid_code", "this code is not valid"));
    };
    if live.attempts >= max {
        return Err(refused(
            "code_exhausted",
            "too many wrong codes: ask for a new one later",
        ));
    }
    if live.expires_at <= chrono::Utc::now() {
        return Err(refused(
            "code_expired",
            "this code has expired: ask for a new one",
        ));
    }
    let right = live.code_hash.as_deref().is_some_and(|stored| {
        codes::matches(
            settings.pepper.expose(),
            phone.as_str(),
            purpose,
            body.code.trim(),
            stored,
        )
    });
    if !right {
        let failures = otp::count_failure(&mut tx, live.id).await?;
        tx.commit().await?;
        return Err(if failures >= max {
            refused(
                "code_exhausted",
                "too many wrong codes: ask for a new one later",
            )
        } else {
            refused("invalid_code", "this code is not valid")
        });
    }
    otp::consume(&mut tx, live.id).await?;
    let answer = match purpose {
        OtpPurpose::Registration => {
            let user = users::verify_phone(&mut *tx, phone.as_str())
                .await?
                .ok_or_else(|| refused("invalid_code", "this code is not valid"))?;
            tx.commit().await?;
            HttpResponse::Ok().json(UserView::from(user))
        }
        OtpPurpose::Login => {
            let user = users::find_by_phone(&mut *tx, &phone)
                .await?
                .ok_or_else(|| refused("invalid_code", "this code is not valid"))?;
            tx.commit().await?;
            if user.is_banned() {
                return Err(banned());
            }
            HttpResponse::Ok().json(open_session(&state, user, new_id()).await?)
        }
        OtpPurpose::PasswordReset => {
            let user = users::find_by_phone(&mut *tx, &phone)
                .await?
                .ok_or_else(|| refused("invalid_code", "this code is not valid"))?;
            let token = new_refresh_token();
            password_resets::insert(
                &mut *tx,
                user.id,
                &hash_refresh_token(&token),
                RESET_TOKEN_TTL_SECS,
            )
            .await?;
            tx.commit().await?;
            HttpResponse::Ok()
                .json(json!({"reset_token": token, "expires_in": RESET_TOKEN_TTL_SECS}))
        }
    };
    tracing::info!(purpose = purpose.as_str(), "one-time code verified");
    Ok(answer)
}

#[utoipa::path(post, path = "/v1/auth/password/reset", tag = "auth", request_body = PasswordResetRequest, responses(
    (status = 204, description = "the password is changed and every session revoked"),
    (status = 401, description = "invalid_reset_token: unknown, used or expired", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn reset_password(
    state: web::Data<AppState>,
    body: web::Json<PasswordResetRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let new_password = NewPassword::parse(body.new_password)
        .map_err(|reason| ApiError::field("new_password", reason))?;
    let password_hash = password::hash(new_password.expose().to_owned()).await?;
    let mut tx = state.pool.begin().await?;
    let Some(user_id) =
        password_resets::redeem(&mut *tx, &hash_refresh_token(&body.reset_token)).await?
    else {
        return Err(refused(
            "invalid_reset_token",
            "this reset link is unknown, used or expired",
        ));
    };
    users::set_password(&mut *tx, user_id, &password_hash).await?;
    // A new password lifts the lockouts on the account's email and phone.
    if let Some(user) = users::find_by_id(&mut *tx, user_id).await? {
        let keys: Vec<String> = [user.email, user.phone]
            .into_iter()
            .flatten()
            .map(|typed| login_throttle::account_key(&typed))
            .collect();
        login_throttle::clear(&mut tx, &keys).await?;
    }
    sessions::revoke_all(&mut *tx, user_id).await?;
    tx.commit().await?;
    tracing::info!(%user_id, "password reset: every session revoked");
    Ok(HttpResponse::NoContent().finish())
}
