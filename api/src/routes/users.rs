//! /v1/users (admin): list with filters; ban/restore and role changes, each written to the
//! action log in the same transaction.

use actix_web::web;
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use comptoir_domain::action_log::{self, Action};
use comptoir_domain::pagination::{Page, PageRequest};
use comptoir_domain::types::Role;
use comptoir_domain::{sessions, users};

use crate::auth::{Admin, banned};
use crate::error::{ApiError, ApiResult};
use crate::extract::DeferredJson;
use crate::routes::auth::UserView;
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    #[param(value_type = Option<String>, example = "seller")]
    pub role: Option<Role>,
    pub banned: Option<bool>,
    pub want_shop: Option<bool>,
    /// Matches name, email or phone (case-insensitive substring).
    pub q: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

pub fn page_of(page: Option<u32>, per_page: Option<u32>) -> PageRequest {
    let default = PageRequest::default();
    PageRequest {
        page: page.unwrap_or(default.page),
        per_page: per_page.unwrap_or(default.per_page),
    }
    .normalized()
}

#[derive(serde::Serialize, ToSchema)]
pub struct UserPage {
    pub items: Vec<UserView>,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
    pub total_is_capped: bool,
}

#[utoipa::path(get, path = "/v1/users", tag = "users", params(UserQuery), security(("bearer" = [])), responses(
    (status = 200, body = UserPage), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    _admin: Admin,
    query: web::Query<UserQuery>,
) -> ApiResult<web::Json<Page<UserView>>> {
    let query = query.into_inner();
    let filter = users::UserFilter {
        role: query.role,
        banned: query.banned,
        want_shop: query.want_shop,
        q: query.q.filter(|q| !q.trim().is_empty()),
    };
    let page = users::list(&state.pool, &filter, page_of(query.page, query.per_page)).await?;
    Ok(web::Json(Page::new(
        page.items.into_iter().map(UserView::from).collect(),
        PageRequest {
            page: page.page,
            per_page: page.per_page,
        },
        page.total,
    )))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    pub banned: Option<bool>,
    #[schema(value_type = Option<String>, example = "seller")]
    pub role: Option<Role>,
}

fn forbidden(detail: &str) -> ApiError {
    ApiError::Forbidden {
        code: "forbidden",
        detail: detail.to_owned(),
    }
}

/// Bans/restores a user or changes their role. Only a superadmin touches admin roles or admins;
/// nobody bans themselves or changes their own role.
#[utoipa::path(patch, path = "/v1/users/{id}", tag = "users", request_body = UserUpdate, security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = UserView), (status = 403, body = crate::error::Problem),
    (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    Admin(actor): Admin,
    id: web::Path<Uuid>,
    body: DeferredJson<UserUpdate>,
) -> ApiResult<web::Json<UserView>> {
    let id = id.into_inner();
    let body = body.read().await?;
    if body.banned.is_none() && body.role.is_none() {
        return Err(ApiError::field("banned", "give `banned` and/or `role`"));
    }
    if id == actor.id {
        return Err(ApiError::field(
            if body.banned.is_some() {
                "banned"
            } else {
                "role"
            },
            "you cannot ban yourself or change your own role",
        ));
    }
    let mut tx = state.pool.begin().await?;
    // Both rows are locked, in id order (no deadlock), and the actor's role is read again under
    // the lock: two admins demoting each other at once cannot both succeed.
    let (first, second) = if actor.id < id {
        (actor.id, id)
    } else {
        (id, actor.id)
    };
    let first = users::find_for_update(&mut tx, first).await?;
    let second = users::find_for_update(&mut tx, second).await?;
    let (actor_row, target) = if actor.id < id {
        (first, second)
    } else {
        (second, first)
    };
    let target = target.ok_or(ApiError::NotFound)?;
    let actor_role = actor_row
        .filter(|a| !a.is_banned())
        .map(|a| a.role())
        .ok_or_else(banned)?;
    if !actor_role.is_admin() {
        return Err(forbidden("an admin role is required"));
    }
    let touches_admin = target.role().is_admin() || body.role.is_some_and(Role::is_admin);
    if touches_admin && actor_role != Role::Superadmin {
        return Err(forbidden(
            "only a superadmin manages admins and admin roles",
        ));
    }
    if let Some(banned) = body.banned.filter(|banned| *banned != target.is_banned()) {
        users::set_banned(&mut *tx, id, banned).await?;
        if banned {
            sessions::revoke_all(&mut *tx, id).await?;
        }
        let action = if banned {
            "user.banned"
        } else {
            "user.unbanned"
        };
        action_log::record(
            &mut *tx,
            Action {
                actor_id: actor.id,
                action,
                target_type: "user",
                target_id: id,
                meta: json!({}),
            },
        )
        .await?;
    }
    if let Some(role) = body.role.filter(|role| *role != target.role()) {
        users::set_role(&mut *tx, id, role).await?;
        let meta = json!({ "from": target.role(), "to": role });
        action_log::record(
            &mut *tx,
            Action {
                actor_id: actor.id,
                action: "user.role_changed",
                target_type: "user",
                target_id: id,
                meta,
            },
        )
        .await?;
    }
    let updated = users::find_by_id(&mut *tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(web::Json(updated.into()))
}
