//! The console's buttons: retry, cancel and bulk retry go through the same functions as the
//! JSON API (so they are audited in the action log the same way), then send the browser back.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use uuid::Uuid;

use super::session::{ConsoleForm, see_other};
use crate::error::ApiError;
use crate::routes::jobs::{RetryDeadRequest, cancel_job, retry_dead_jobs, retry_job};
use crate::state::AppState;

/// Where the button was: the page to go back to.
#[derive(Deserialize)]
pub struct Back {
    back: Option<String>,
}

/// A console path only: never another site.
fn back_to(back: Option<&str>, default: &str) -> String {
    back.filter(|path| path.starts_with("/admin/") && !path.contains("//") && !path.contains('\\'))
        .map_or_else(
            || default.to_owned(),
            |path| path.split('?').next().unwrap_or(path).to_owned(),
        )
}

fn with_notice(path: &str, done: &str) -> HttpResponse {
    see_other(&format!("{path}?done={done}"))
}

/// A conflict (the job moved on meanwhile) is said on the page; anything else is a problem.
fn answer(
    result: Result<&'static str, ApiError>,
    path: &str,
    refused: &str,
) -> Result<HttpResponse, ApiError> {
    match result {
        Ok(done) => Ok(with_notice(path, done)),
        Err(ApiError::Conflict { .. }) => Ok(with_notice(path, refused)),
        Err(other) => Err(other),
    }
}

pub async fn retry(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    form: ConsoleForm<Back>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let path = back_to(form.fields.back.as_deref(), &format!("/admin/jobs/{id}"));
    let result = retry_job(&state, form.admin.user_id, id)
        .await
        .map(|_| "retried");
    answer(result, &path, "not_retryable")
}

pub async fn cancel(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    form: ConsoleForm<Back>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let path = back_to(form.fields.back.as_deref(), &format!("/admin/jobs/{id}"));
    let result = cancel_job(&state, form.admin.user_id, id)
        .await
        .map(|(job, _)| {
            if job.status == "cancelled" {
                "cancelled"
            } else {
                "cancel_requested"
            }
        });
    answer(result, &path, "not_cancellable")
}

/// The bulk retry form: empty fields mean "any".
#[derive(Deserialize)]
pub struct BulkRetryForm {
    queue: Option<String>,
    kind: Option<String>,
    error_contains: Option<String>,
}

fn given(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

pub async fn retry_dead(
    state: web::Data<AppState>,
    form: ConsoleForm<BulkRetryForm>,
) -> Result<HttpResponse, ApiError> {
    let fields = form.fields;
    let request = RetryDeadRequest {
        queue: given(fields.queue),
        kind: given(fields.kind),
        error_contains: given(fields.error_contains),
        limit: None,
    };
    let ids = retry_dead_jobs(&state, form.admin.user_id, &request).await?;
    Ok(see_other(&format!(
        "/admin/dead?done=bulk_retried&count={}",
        ids.len()
    )))
}
