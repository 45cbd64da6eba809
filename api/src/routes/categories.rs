//! /v1/categories: the category tree (public) and its creation (admin).

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use comptoir_domain::StoreError;
use comptoir_domain::action_log::{self, Action};
use comptoir_domain::categories::{self, CategoryNode};

use crate::auth::Admin;
use crate::error::{ApiError, ApiResult};
use crate::extract::DeferredJson;
use crate::state::AppState;

/// Every category, nested under its parent.
#[utoipa::path(get, path = "/v1/categories", tag = "catalogue", responses((status = 200, body = [CategoryNode])))]
pub async fn tree(state: web::Data<AppState>) -> ApiResult<web::Json<Vec<CategoryNode>>> {
    Ok(web::Json(categories::tree(&state.pool).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    pub name: String,
    pub parent_id: Option<Uuid>,
}

#[utoipa::path(post, path = "/v1/categories", tag = "catalogue", request_body = NewCategory, security(("bearer" = [])),
    responses((status = 201, description = "{id, name, parent_id}"), (status = 409, description = "category_exists", body = crate::error::Problem),
    (status = 422, body = crate::error::Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    Admin(actor): Admin,
    body: DeferredJson<NewCategory>,
) -> ApiResult<HttpResponse> {
    let body = body.read().await?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 120 || name.chars().any(char::is_control) {
        return Err(ApiError::field("name", "must be 1 to 120 characters"));
    }
    let mut tx = state.pool.begin().await?;
    if let Some(parent) = body.parent_id
        && !categories::exists(&mut *tx, parent).await?
    {
        return Err(ApiError::field("parent_id", "no such category"));
    }
    let category = categories::insert(&mut *tx, name, body.parent_id)
        .await
        .map_err(|err| match err {
            StoreError::Conflict(_) => ApiError::Conflict {
                code: "category_exists",
                detail: "a category with this name exists under the same parent".to_owned(),
            },
            other => other.into(),
        })?;
    let meta = json!({ "name": category.name, "parent_id": category.parent_id });
    action_log::record(
        &mut *tx,
        Action {
            actor_id: actor.id,
            action: "category.created",
            target_type: "category",
            target_id: category.id,
            meta,
        },
    )
    .await?;
    tx.commit().await?;
    state.catalogue.bump().await;
    Ok(HttpResponse::Created()
        .json(json!({ "id": category.id, "name": category.name, "parent_id": category.parent_id })))
}
