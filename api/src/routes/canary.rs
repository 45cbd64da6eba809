//! POST /v1/admin/jobs/canary: a no-op job (`system.ping.v1`) sent through the whole job
//! system (outbox, relay, Redis, a worker's claim and outcome), timed from the ledger. Ops call
//! it to measure end-to-end job latency in production.

use std::time::{Duration, Instant};

use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use comptoir_domain::ledger;
use comptoir_jobs::system::Ping;

use crate::auth::Admin;
use crate::error::ApiResult;
use crate::state::AppState;

/// How long the canary waits for a worker before answering with what it saw.
const WAIT: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_millis(2);

#[derive(Serialize, ToSchema)]
pub struct CanaryReport {
    pub job_id: Uuid,
    /// The job's status when the canary stopped waiting: `succeeded` unless no worker of the
    /// `system` queue ran it within 5 s.
    pub status: String,
    /// From the enqueueing transaction's start to a worker's claim (ledger clock).
    pub enqueue_to_start_ms: Option<f64>,
    /// From the claim to the recorded outcome.
    pub start_to_finish_ms: Option<f64>,
    /// Wall time of this request.
    pub elapsed_ms: f64,
}

#[utoipa::path(post, path = "/v1/admin/jobs/canary", tag = "jobs", security(("bearer" = [])), responses(
    (status = 200, body = CanaryReport, description = "the canary's timings; `status` other than `succeeded` means no worker ran it in time"),
    (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn canary(
    state: web::Data<AppState>,
    _admin: Admin,
) -> ApiResult<web::Json<CanaryReport>> {
    let started = Instant::now();
    let mut tx = state.pool.begin().await?;
    let id = state.producer.enqueue(&mut tx, &Ping::default()).await?;
    state.producer.commit(tx).await?;
    loop {
        let job = ledger::find(&state.pool, id).await?;
        let done = job.as_ref().is_some_and(|job| job.finished_at.is_some());
        if done || started.elapsed() >= WAIT {
            let ms = |delta: chrono::TimeDelta| delta.as_seconds_f64() * 1000.0;
            return Ok(web::Json(CanaryReport {
                job_id: id,
                status: job
                    .as_ref()
                    .map_or_else(|| "unknown".to_owned(), |job| job.status.clone()),
                enqueue_to_start_ms: job
                    .as_ref()
                    .and_then(|job| Some(ms(job.started_at? - job.created_at))),
                start_to_finish_ms: job
                    .as_ref()
                    .and_then(|job| Some(ms(job.finished_at? - job.started_at?))),
                elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
            }));
        }
        tokio::time::sleep(POLL).await;
    }
}
