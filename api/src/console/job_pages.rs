//! The jobs pages: the ledger filtered by queue, status and kind; one job with its payload and
//! error; and the dead jobs (with the retrying ones, which are on their way there).

use actix_web::{HttpRequest, HttpResponse, web};
use minijinja::context;
use serde::Deserialize;
use uuid::Uuid;

use comptoir_domain::ledger::{self, JobFilter};
use comptoir_domain::pagination::PageRequest;
use comptoir_jobs::queues;

use super::notices::Notice;
use super::render;
use super::session::ConsoleAdmin;
use crate::error::ApiError;
use crate::routes::jobs::STATUSES;
use crate::state::AppState;

const PER_PAGE: u32 = 25;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobsQuery {
    queue: Option<String>,
    status: Option<String>,
    kind: Option<String>,
    page: Option<u32>,
    done: Option<String>,
    count: Option<u32>,
}

/// An empty field of the filter form means "any".
fn chosen(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn checked_filter(query: &JobsQuery) -> Result<JobFilter<'_>, ApiError> {
    let filter = JobFilter {
        queue: chosen(&query.queue),
        status: chosen(&query.status),
        kind: chosen(&query.kind),
    };
    if let Some(queue) = filter.queue.filter(|q| !queues::ALL.contains(q)) {
        return Err(ApiError::field("queue", format!("unknown queue `{queue}`")));
    }
    if let Some(status) = filter.status.filter(|s| !STATUSES.contains(s)) {
        return Err(ApiError::field(
            "status",
            format!("unknown status `{status}`"),
        ));
    }
    Ok(filter)
}

/// `/admin/jobs?…` for `filter` at `page`.
fn jobs_url(filter: &JobFilter<'_>, page: u32) -> String {
    let pairs: Vec<(&str, String)> = [
        ("queue", filter.queue.map(str::to_owned)),
        ("status", filter.status.map(str::to_owned)),
        ("kind", filter.kind.map(str::to_owned)),
        ("page", (page > 1).then(|| page.to_string())),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.map(|v| (name, v)))
    .collect();
    match serde_urlencoded::to_string(pairs) {
        Ok(query) if !query.is_empty() => format!("/admin/jobs?{query}"),
        _ => "/admin/jobs".to_owned(),
    }
}

pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: ConsoleAdmin,
    query: web::Query<JobsQuery>,
) -> Result<HttpResponse, ApiError> {
    let filter = checked_filter(&query)?;
    let page = PageRequest {
        page: query.page.unwrap_or(1).max(1),
        per_page: PER_PAGE,
    };
    let jobs = ledger::list(&state.pool, filter, page).await?;
    let last_page = u32::try_from((jobs.total + i64::from(PER_PAGE) - 1) / i64::from(PER_PAGE))
        .unwrap_or(u32::MAX)
        .max(1);
    let context = context! {
        section => "jobs",
        csrf => admin.csrf,
        jobs => jobs.items,
        total => jobs.total,
        page => page.page,
        last_page => last_page,
        prev_url => (page.page > 1).then(|| jobs_url(&filter, page.page - 1)),
        next_url => (page.page < last_page).then(|| jobs_url(&filter, page.page + 1)),
        back => jobs_url(&filter, page.page),
        filter => context! { queue => filter.queue, status => filter.status, kind => filter.kind },
        queues => queues::ALL,
        statuses => STATUSES,
        notice => Notice::from_query(query.done.as_deref(), query.count),
    };
    render::page(&req, "jobs.html", context)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeQuery {
    done: Option<String>,
    count: Option<u32>,
}

/// One job: its figures, payload (pretty JSON, escaped by the template), last error split into
/// its cause chain, and the actions its status allows.
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: ConsoleAdmin,
    id: web::Path<Uuid>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let job = ledger::find(&state.pool, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let payload = ledger::payload(&state.pool, id).await?.unwrap_or_default();
    // Errors are recorded with `{:#}`: each cause after the one before, split by ": ".
    let causes: Vec<&str> = job
        .last_error
        .as_deref()
        .map(|error| error.split(": ").collect())
        .unwrap_or_default();
    let context = context! {
        section => "jobs",
        csrf => admin.csrf,
        payload => serde_json::to_string_pretty(&payload).map_err(ApiError::internal)?,
        causes => causes,
        retryable => matches!(job.status.as_str(), "failed" | "dead"),
        cancellable => matches!(job.status.as_str(), "queued" | "retrying" | "running")
            && job.cancel_requested_at.is_none(),
        back => format!("/admin/jobs/{id}"),
        job => job,
        notice => Notice::from_query(query.done.as_deref(), query.count),
    };
    render::page(&req, "job.html", context)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadQuery {
    queue: Option<String>,
    done: Option<String>,
    count: Option<u32>,
}

const DEAD_SHOWN: u32 = 100;

/// Dead jobs, newest first, with a bulk retry; then the retrying ones, which may be cancelled.
pub async fn dead(
    state: web::Data<AppState>,
    req: HttpRequest,
    admin: ConsoleAdmin,
    query: web::Query<DeadQuery>,
) -> Result<HttpResponse, ApiError> {
    let queue = chosen(&query.queue);
    if let Some(queue) = queue.filter(|q| !queues::ALL.contains(q)) {
        return Err(ApiError::field("queue", format!("unknown queue `{queue}`")));
    }
    let shown = PageRequest {
        page: 1,
        per_page: DEAD_SHOWN,
    };
    let of_status = |status| JobFilter {
        queue,
        status: Some(status),
        kind: None,
    };
    let dead = ledger::list(&state.pool, of_status("dead"), shown).await?;
    let retrying = ledger::list(&state.pool, of_status("retrying"), shown).await?;
    let context = context! {
        section => "dead",
        csrf => admin.csrf,
        dead => dead.items,
        dead_total => dead.total,
        retrying => retrying.items,
        retrying_total => retrying.total,
        queue => queue,
        queues => queues::ALL,
        back => "/admin/dead",
        notice => Notice::from_query(query.done.as_deref(), query.count),
    };
    render::page(&req, "dead.html", context)
}
