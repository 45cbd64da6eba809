//! /v1/admin/jobs: the job ledger, and retrying failed or dead jobs.

use actix_web::web;
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;
use uuid::Uuid;

use comptoir_domain::action_log::{self, Action};
use comptoir_domain::ledger::{self, JobRecord};
use comptoir_domain::pagination::Page;

use crate::auth::Admin;
use crate::error::{ApiError, ApiResult};
use crate::routes::users::page_of;
use crate::state::AppState;

const STATUSES: [&str; 7] = [
    "queued",
    "running",
    "retrying",
    "succeeded",
    "failed",
    "dead",
    "cancelled",
];

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct JobQuery {
    pub queue: Option<String>,
    /// queued, running, retrying, succeeded, failed, dead or cancelled.
    pub status: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[utoipa::path(get, path = "/v1/admin/jobs", tag = "jobs", params(JobQuery), security(("bearer" = [])), responses(
    (status = 200, description = "a page of jobs: {items, page, per_page, total, total_is_capped}"),
    (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    _admin: Admin,
    query: web::Query<JobQuery>,
) -> ApiResult<web::Json<Page<JobRecord>>> {
    if let Some(status) = query.status.as_deref().filter(|s| !STATUSES.contains(s)) {
        return Err(ApiError::field(
            "status",
            format!("unknown status `{status}`"),
        ));
    }
    let page = page_of(query.page, query.per_page);
    Ok(web::Json(
        ledger::list(
            &state.pool,
            query.queue.as_deref(),
            query.status.as_deref(),
            page,
        )
        .await?,
    ))
}

#[utoipa::path(get, path = "/v1/admin/jobs/{id}", tag = "jobs", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, description = "the job"), (status = 404, body = crate::error::Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    _admin: Admin,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<JobRecord>> {
    Ok(web::Json(
        ledger::find(&state.pool, *id)
            .await?
            .ok_or(ApiError::NotFound)?,
    ))
}

/// Runs a `dead` or `failed` job again with a fresh attempt budget.
#[utoipa::path(post, path = "/v1/admin/jobs/{id}/retry", tag = "jobs", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, description = "the job, queued again"), (status = 404, body = crate::error::Problem),
    (status = 409, description = "job_not_retryable", body = crate::error::Problem)))]
pub async fn retry(
    state: web::Data<AppState>,
    Admin(actor): Admin,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<JobRecord>> {
    let id = id.into_inner();
    let mut tx = state.pool.begin().await?;
    let Some(job) = ledger::requeue_finished(&mut *tx, id).await? else {
        let existing = ledger::find(&mut *tx, id)
            .await?
            .ok_or(ApiError::NotFound)?;
        return Err(ApiError::Conflict {
            code: "job_not_retryable",
            detail: format!(
                "only failed or dead jobs can be retried; this one is {}",
                existing.status
            ),
        });
    };
    let meta = json!({ "queue": job.queue, "kind": job.kind });
    action_log::record(
        &mut *tx,
        Action {
            actor_id: actor.id,
            action: "job.retried",
            target_type: "job",
            target_id: id,
            meta,
        },
    )
    .await?;
    state.producer.commit(tx).await?;
    Ok(web::Json(job))
}
