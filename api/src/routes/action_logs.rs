//! /v1/action-logs (admin): the audit trail.

use actix_web::web;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use comptoir_domain::action_log::{self, ActionLogEntry, ActionLogFilter};
use comptoir_domain::pagination::Page;

use crate::auth::Admin;
use crate::error::ApiResult;
use crate::routes::users::page_of;
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ActionLogQuery {
    pub actor_id: Option<Uuid>,
    /// e.g. `user.banned`, `user.role_changed`, `job.retried`.
    pub action: Option<String>,
    pub target_id: Option<Uuid>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[utoipa::path(get, path = "/v1/action-logs", tag = "audit", params(ActionLogQuery), security(("bearer" = [])), responses(
    (status = 200, description = "a page of entries: {items, page, per_page, total, total_is_capped}"), (status = 403, body = crate::error::Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    _admin: Admin,
    query: web::Query<ActionLogQuery>,
) -> ApiResult<web::Json<Page<ActionLogEntry>>> {
    let query = query.into_inner();
    let filter = ActionLogFilter {
        actor_id: query.actor_id,
        action: query.action,
        target_id: query.target_id,
    };
    Ok(web::Json(
        action_log::list(&state.pool, &filter, page_of(query.page, query.per_page)).await?,
    ))
}
