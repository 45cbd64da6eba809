//! GET/POST /admin/login and POST /admin/logout. The password goes through the API's own check
//! (attempt budget, lockout, the same time for unknown accounts); only admins get a session.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use minijinja::context;
use serde::Deserialize;

use super::render;
use super::session::{
    self, ConsoleForm, LOGIN_COOKIE, csrf_field, csrf_matches, csrf_refused, form_fields,
    login_seed, see_other,
};
use crate::error::ApiError;
use crate::routes::login::{LoginRequest, check_credentials};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

/// The login page; one already signed in goes straight to the overview.
pub async fn page(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    if session::admit(&req).await.is_ok() {
        return Ok(see_other("/admin/"));
    }
    form(&state, &req, StatusCode::OK, None, "")
}

/// The login form, with `message` (why the last try failed) when there is one.
fn form(
    state: &AppState,
    req: &HttpRequest,
    status: StatusCode,
    message: Option<&str>,
    email: &str,
) -> Result<HttpResponse, ApiError> {
    let (seed, new_cookie) = login_seed(state, req);
    let context = context! {
        csrf => session::csrf_token(state, &seed),
        message => message,
        email => email,
    };
    let mut response = render::page_with_status(req, status, "login.html", context)?;
    if let Some(cookie) = new_cookie {
        response.add_cookie(&cookie).map_err(ApiError::internal)?;
    }
    Ok(response)
}

/// What the login page says for a refused try; `None` for failures that are not the user's.
fn refusal_message(err: &ApiError) -> Option<String> {
    Some(match err {
        ApiError::Unauthorized { .. } => "The email or the password is wrong.".to_owned(),
        ApiError::Forbidden { .. } => "This account is banned.".to_owned(),
        ApiError::Locked { retry_after_secs } => {
            format!("Too many failed attempts: try again in {retry_after_secs} s.")
        }
        ApiError::RateLimited {
            retry_after_secs, ..
        } => format!("Too many attempts: try again in {retry_after_secs} s."),
        ApiError::Validation { .. } => "The email is not valid.".to_owned(),
        _ => return None,
    })
}

pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let seed = req.cookie(LOGIN_COOKIE).map(|c| c.value().to_owned());
    let signed = seed
        .zip(csrf_field(&body))
        .is_some_and(|(seed, csrf)| csrf_matches(&state, &seed, &csrf));
    if !signed {
        return Err(csrf_refused());
    }
    let fields: LoginForm = form_fields(&body)?;
    let credentials = LoginRequest {
        email: Some(fields.email.trim().to_owned()),
        phone: None,
        password: fields.password,
    };
    let user = match check_credentials(&state, &req, credentials).await {
        Ok(user) => user,
        Err(err) => {
            let Some(message) = refusal_message(&err) else {
                return Err(err);
            };
            return form(
                &state,
                &req,
                err.status_code(),
                Some(&message),
                &fields.email,
            );
        }
    };
    if !user.role().is_admin() {
        let message = "This console is for admins (superadmin or maintainer); this account \
                       cannot open it.";
        return form(
            &state,
            &req,
            StatusCode::FORBIDDEN,
            Some(message),
            &fields.email,
        );
    }
    let cookie = session::open(&state, user.id).await?;
    let mut response = see_other("/admin/");
    response.add_cookie(&cookie).map_err(ApiError::internal)?;
    tracing::info!(user_id = %user.id, "console session opened");
    Ok(response)
}

/// Ends the session server-side and clears the cookie.
pub async fn logout(
    state: web::Data<AppState>,
    form: ConsoleForm<serde::de::IgnoredAny>,
) -> Result<HttpResponse, ApiError> {
    let cookie = session::close(&state, form.admin.session_id).await?;
    let mut response = see_other(session::LOGIN_PATH);
    response.add_cookie(&cookie).map_err(ApiError::internal)?;
    Ok(response)
}
