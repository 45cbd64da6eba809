//! The overview, workers, and imports-and-reports pages: what is going on, refreshed in place.

use actix_web::{HttpRequest, HttpResponse, web};
use minijinja::context;

use comptoir_domain::ledger;
use comptoir_domain::work_in_progress;
use comptoir_jobs::queues;

use super::session::ConsoleAdmin;
use super::{chart, render};
use crate::error::ApiError;
use crate::routes::operations::worker_list;
use crate::state::AppState;

const WORK_SHOWN: i64 = 100;

/// Queues with their depth and figures, and the last hour's chart.
pub async fn overview(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: ConsoleAdmin,
) -> Result<HttpResponse, ApiError> {
    let figures = ledger::queue_figures(&state.pool, queues::ALL).await?;
    let buckets = ledger::last_hour_by_minute(&state.pool).await?;
    let workers = worker_list(&state).await?;
    let live_workers = workers.iter().filter(|w| w.state == "live").count();
    let context = context! {
        section => "overview",
        csrf => admin.csrf,
        queues => figures,
        chart => chart::build(&buckets),
        live_workers => live_workers,
    };
    render::page(&req, "overview.html", context)
}

pub async fn workers(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: ConsoleAdmin,
) -> Result<HttpResponse, ApiError> {
    let workers = worker_list(&state).await?;
    let context = context! {
        section => "workers",
        csrf => admin.csrf,
        workers => workers,
        gone_after_secs => state.settings.worker.gone_after_secs,
    };
    render::page(&req, "workers.html", context)
}

/// Imports and reports still queued or running, with their progress.
pub async fn work(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: ConsoleAdmin,
) -> Result<HttpResponse, ApiError> {
    let items = work_in_progress::list(&state.pool, WORK_SHOWN).await?;
    let context = context! {
        section => "work",
        csrf => admin.csrf,
        items => items,
    };
    render::page(&req, "work.html", context)
}
