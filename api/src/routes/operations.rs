//! /v1/admin/queues and /v1/admin/workers: what ops look at first.

use actix_web::web;
use serde::Serialize;

use comptoir_domain::ledger::{self, QueueFigures};
use comptoir_domain::worker_processes::{self, WorkerProcess};
use comptoir_jobs::queues;

use crate::auth::Admin;
use crate::error::ApiResult;
use crate::state::AppState;

/// Stopped or gone processes stay listed this long, so a crash is seen.
pub(crate) const KEEP_SILENT_SECS: u64 = 24 * 3600;

#[derive(Serialize, utoipa::ToSchema)]
pub struct QueueList {
    pub items: Vec<QueueFigures>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct WorkerList {
    pub items: Vec<WorkerProcess>,
}

/// Every queue with its counts by status, the age of its oldest due job, the jobs finished in
/// the last 5 and 60 minutes, and the p50/p95 run time of the last 5 minutes' jobs.
#[utoipa::path(get, path = "/v1/admin/queues", tag = "jobs", security(("bearer" = [])),
    responses((status = 200, body = QueueList)))]
pub async fn queues(state: web::Data<AppState>, _admin: Admin) -> ApiResult<web::Json<QueueList>> {
    let items = ledger::queue_figures(&state.pool, queues::ALL).await?;
    Ok(web::Json(QueueList { items }))
}

/// Worker processes heard from in the last day, live ones first: `state` is `live`, `gone`
/// (silent past `worker.gone_after_secs`: it died) or `stopped` (a graceful exit).
#[utoipa::path(get, path = "/v1/admin/workers", tag = "jobs", security(("bearer" = [])),
    responses((status = 200, body = WorkerList)))]
pub async fn workers(
    state: web::Data<AppState>,
    _admin: Admin,
) -> ApiResult<web::Json<WorkerList>> {
    Ok(web::Json(WorkerList {
        items: worker_list(&state).await?,
    }))
}

/// The processes heard from in the last day, as this route and the console list them.
pub(crate) async fn worker_list(state: &AppState) -> ApiResult<Vec<WorkerProcess>> {
    let gone_after = state.settings.worker.gone_after_secs;
    Ok(worker_processes::list(&state.pool, gone_after, KEEP_SILENT_SECS).await?)
}
