//! /v1/admin/jobs: the job ledger, retrying failed or dead jobs (one, or dead ones by filter),
//! and cancelling.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use comptoir_domain::action_log::{self, Action};
use comptoir_domain::ledger::{self, Cancellation, DeadFilter, JobFilter, JobRecord};
use comptoir_domain::pagination::Page;
use comptoir_jobs::metrics::JobLabels;
use comptoir_jobs::queues;

use crate::auth::Admin;
use crate::error::{ApiError, ApiResult};
use crate::extract::DeferredJson;
use crate::routes::users::page_of;
use crate::state::AppState;

pub(crate) const STATUSES: [&str; 7] = [
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
            JobFilter {
                queue: query.queue.as_deref(),
                status: query.status.as_deref(),
                kind: None,
            },
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
    Ok(web::Json(
        retry_job(&state, actor.id, id.into_inner()).await?,
    ))
}

/// Retries one failed or dead job for `actor`, audited; the JSON API and the console both act
/// through it.
pub(crate) async fn retry_job(state: &AppState, actor: Uuid, id: Uuid) -> ApiResult<JobRecord> {
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
    audit(&mut tx, actor, "job.retried", id, meta).await?;
    state.producer.commit(tx).await?;
    Ok(job)
}

/// Cancels a queued or retrying job at once (200, `cancelled`), or asks a running one to stop
/// (202, still `running` with `cancel_requested_at`: its worker stops it at the next lease
/// renewal and it ends `cancelled`). The import or report it carries out is cancelled with it.
#[utoipa::path(post, path = "/v1/admin/jobs/{id}/cancel", tag = "jobs", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, description = "the job, cancelled"), (status = 202, description = "the running job, asked to stop"),
    (status = 404, body = crate::error::Problem),
    (status = 409, description = "job_not_cancellable: it has ended", body = crate::error::Problem)))]
pub async fn cancel(
    state: web::Data<AppState>,
    Admin(actor): Admin,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let (job, status) = cancel_job(&state, actor.id, id.into_inner()).await?;
    Ok(HttpResponse::build(status).json(job))
}

/// Cancels (200) or asks to stop (202) one job for `actor`, audited.
pub(crate) async fn cancel_job(
    state: &AppState,
    actor: Uuid,
    id: Uuid,
) -> ApiResult<(JobRecord, StatusCode)> {
    let mut tx = state.pool.begin().await?;
    let (job, action, status) = match ledger::cancel(&mut tx, id).await? {
        Cancellation::Cancelled(job) => (job, "job.cancelled", StatusCode::OK),
        Cancellation::Requested(job) => (job, "job.cancel_requested", StatusCode::ACCEPTED),
        Cancellation::NotCancellable(job) => {
            return Err(ApiError::Conflict {
                code: "job_not_cancellable",
                detail: format!(
                    "only queued, retrying or running jobs can be cancelled; this one is {}",
                    job.status
                ),
            });
        }
        Cancellation::NotFound => return Err(ApiError::NotFound),
    };
    let meta = json!({ "queue": job.queue, "kind": job.kind });
    audit(&mut tx, actor, action, id, meta).await?;
    tx.commit().await?;
    // A running job is counted by the worker that stops it.
    if status == StatusCode::OK {
        JobLabels::new(&job.queue, &job.kind).cancelled();
    }
    Ok((job, status))
}

/// Which dead jobs to run again; every filter is optional.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryDeadRequest {
    pub queue: Option<String>,
    pub kind: Option<String>,
    /// A piece of the last error, case-insensitive.
    pub error_contains: Option<String>,
    /// At most this many, oldest first (default and maximum 1000).
    pub limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct RetriedJobs {
    pub retried: usize,
    pub ids: Vec<Uuid>,
}

const MAX_BULK_RETRY: u32 = 1000;

/// Runs dead jobs again with a fresh attempt budget, by queue, kind and error text; each one
/// is audited as `job.retried` with the filter.
#[utoipa::path(post, path = "/v1/admin/jobs/retry", tag = "jobs", request_body = RetryDeadRequest, security(("bearer" = [])),
    responses((status = 200, body = RetriedJobs)))]
pub async fn retry_dead(
    state: web::Data<AppState>,
    Admin(actor): Admin,
    body: DeferredJson<RetryDeadRequest>,
) -> ApiResult<web::Json<RetriedJobs>> {
    let body = body.read().await?;
    let ids = retry_dead_jobs(&state, actor.id, &body).await?;
    Ok(web::Json(RetriedJobs {
        retried: ids.len(),
        ids,
    }))
}

/// Retries the dead jobs `request` picks for `actor`, each audited with the filter.
pub(crate) async fn retry_dead_jobs(
    state: &AppState,
    actor: Uuid,
    request: &RetryDeadRequest,
) -> ApiResult<Vec<Uuid>> {
    let limit = request.limit.unwrap_or(MAX_BULK_RETRY);
    if !(1..=MAX_BULK_RETRY).contains(&limit) {
        return Err(ApiError::field(
            "limit",
            format!("must be between 1 and {MAX_BULK_RETRY}"),
        ));
    }
    if let Some(queue) = request
        .queue
        .as_deref()
        .filter(|q| !queues::ALL.contains(q))
    {
        return Err(ApiError::field("queue", format!("unknown queue `{queue}`")));
    }
    let filter = DeadFilter {
        queue: request.queue.as_deref(),
        kind: request.kind.as_deref(),
        error_contains: request.error_contains.as_deref().filter(|e| !e.is_empty()),
    };
    let mut tx = state.pool.begin().await?;
    let ids = ledger::retry_dead(&mut *tx, &filter, i64::from(limit)).await?;
    let meta = json!({
        "bulk": true,
        "queue": request.queue, "kind": request.kind, "error_contains": request.error_contains,
    });
    for id in &ids {
        audit(&mut tx, actor, "job.retried", *id, meta.clone()).await?;
    }
    state.producer.commit(tx).await?;
    Ok(ids)
}

/// Records an admin's action on one job, in the transaction that does it.
async fn audit(
    tx: &mut sqlx::PgConnection,
    actor: Uuid,
    action: &'static str,
    job: Uuid,
    meta: serde_json::Value,
) -> ApiResult<()> {
    let target = Action {
        actor_id: actor,
        action,
        target_type: "job",
        target_id: job,
        meta,
    };
    action_log::record(tx, target).await?;
    Ok(())
}
