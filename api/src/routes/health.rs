//! Liveness, readiness (Postgres and Redis) and Prometheus metrics.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde::Serialize;

use comptoir_jobs::metrics::prometheus;

use crate::ledger_gauges::LedgerGauges;
use crate::state::AppState;

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// `ok` or `unavailable`.
    pub status: &'static str,
    pub postgres: &'static str,
    pub redis: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/health/live", tag = "operations", responses((status = 200, description = "alive")))]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "unavailable" }
}

/// Postgres and Redis are reachable; 503 says which one is not.
#[utoipa::path(get, path = "/health/ready", tag = "operations", responses(
    (status = 200, body = Readiness), (status = 503, body = Readiness)))]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let postgres = async {
        let query = sqlx::query("SELECT 1").execute(&state.pool);
        matches!(tokio::time::timeout(CHECK_TIMEOUT, query).await, Ok(Ok(_)))
    };
    let redis = async {
        matches!(
            tokio::time::timeout(CHECK_TIMEOUT, state.redis.ping()).await,
            Ok(Ok(()))
        )
    };
    let (postgres, redis) = tokio::join!(postgres, redis);
    let body = Readiness {
        status: verdict(postgres && redis),
        postgres: verdict(postgres),
        redis: verdict(redis),
    };
    if postgres && redis {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Prometheus text exposition (served on the metrics listener only): this process's counters
/// and histograms, then the job system's gauges from the ledger.
pub async fn metrics(gauges: web::Data<LedgerGauges>) -> HttpResponse {
    let mut text = prometheus().render();
    text.push_str(&gauges.render().await);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(text)
}
