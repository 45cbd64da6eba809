//! /v1/shops: admins create shops for owners with a paid period and manage status, dates and
//! limits; anyone lists and reads active shops; owners also see their own in any status.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use comptoir_domain::action_log::{self, Action};
use comptoir_domain::pagination::Page;
use comptoir_domain::shops::{
    self, NewShop, PublicShop, STATUSES, Shop, ShopChanges, ShopFilter, Visibility,
};
use comptoir_domain::types::{Email, Role};
use comptoir_domain::users;

use crate::auth::{Admin, AuthUser, MaybeUser};
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::extract::DeferredJson;
use crate::routes::users::page_of;
use crate::state::AppState;
use crate::validate::{add, check_text, ensure_valid, sane_time};

/// Paid periods run from 1 day to 10 years.
const MAX_DURATION_DAYS: i64 = 3650;
const MAX_ITEM_LIMIT: i32 = 1_000_000;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShopRequest {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub category: String,
    /// The owner's account; a client becomes a seller.
    pub owner_email: String,
    pub duration_days: i64,
    pub item_limit: i32,
}

fn check_limit(errors: &mut FieldErrors, item_limit: Option<i32>) {
    if item_limit.is_some_and(|limit| !(0..=MAX_ITEM_LIMIT).contains(&limit)) {
        add(
            errors,
            "item_limit",
            format!("must be between 0 and {MAX_ITEM_LIMIT}"),
        );
    }
}

#[utoipa::path(post, path = "/v1/shops", tag = "shops", request_body = NewShopRequest, security(("bearer" = [])), responses(
    (status = 201, body = Shop), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    Admin(actor): Admin,
    body: DeferredJson<NewShopRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.read().await?;
    let mut errors = FieldErrors::new();
    check_text(&mut errors, "name", &body.name, 200, true);
    check_text(&mut errors, "description", &body.description, 5000, false);
    check_text(&mut errors, "category", &body.category, 120, false);
    check_limit(&mut errors, Some(body.item_limit));
    if !(1..=MAX_DURATION_DAYS).contains(&body.duration_days) {
        add(
            &mut errors,
            "duration_days",
            format!("must be between 1 and {MAX_DURATION_DAYS}"),
        );
    }
    let email = Email::parse(&body.owner_email)
        .map_err(|e| add(&mut errors, "owner_email", e))
        .ok();
    ensure_valid(errors, "the shop is invalid")?;
    let email = email.ok_or_else(|| ApiError::field("owner_email", "must be an email address"))?;

    let mut tx = state.pool.begin().await?;
    let owner = users::find_by_email(&mut *tx, &email)
        .await?
        .filter(|owner| !owner.is_banned())
        .ok_or_else(|| ApiError::field("owner_email", "no active account has this email"))?;
    let start_date = Utc::now();
    let shop = shops::insert(
        &mut *tx,
        NewShop {
            owner_id: owner.id,
            name: body.name.trim(),
            description: &body.description,
            category: body.category.trim(),
            start_date,
            end_date: start_date + Duration::days(body.duration_days),
            item_limit: body.item_limit,
        },
    )
    .await?;
    if owner.role() == Role::Client {
        users::set_role(&mut *tx, owner.id, Role::Seller).await?;
        let meta = json!({ "from": "client", "to": "seller", "shop_id": shop.id });
        action_log::record(
            &mut *tx,
            Action {
                actor_id: actor.id,
                action: "user.role_changed",
                target_type: "user",
                target_id: owner.id,
                meta,
            },
        )
        .await?;
    }
    let meta =
        json!({ "owner_id": owner.id, "end_date": shop.end_date, "item_limit": shop.item_limit });
    action_log::record(
        &mut *tx,
        Action {
            actor_id: actor.id,
            action: "shop.created",
            target_type: "shop",
            target_id: shop.id,
            meta,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/shops/{}", shop.id)))
        .json(shop))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ShopQuery {
    /// active, blocked or disabled (visitors only ever see active shops, and their own).
    pub status: Option<String>,
    pub owner_id: Option<Uuid>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// A shop as `caller` may see it: whole for its owner and admins, public otherwise.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum ShopView {
    Whole(Shop),
    Public(PublicShop),
}

fn view(shop: Shop, caller: &MaybeUser) -> ShopView {
    if caller.is_admin() || caller.id() == Some(shop.owner_id) {
        ShopView::Whole(shop)
    } else {
        ShopView::Public(shop.into())
    }
}

fn visibility(caller: &MaybeUser) -> Option<Visibility> {
    match caller.id() {
        _ if caller.is_admin() => None,
        Some(id) => Some(Visibility::Owner(id)),
        None => Some(Visibility::Public),
    }
}

#[utoipa::path(get, path = "/v1/shops", tag = "shops", params(ShopQuery), security((), ("bearer" = [])), responses(
    (status = 200, description = "a page of shops: {items, page, per_page, total, total_is_capped}; owner_id and item_limit only to the owner and admins"), (status = 422, body = crate::error::Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: MaybeUser,
    query: web::Query<ShopQuery>,
) -> ApiResult<web::Json<Page<ShopView>>> {
    let query = query.into_inner();
    if let Some(status) = query.status.as_deref().filter(|s| !STATUSES.contains(s)) {
        return Err(ApiError::field(
            "status",
            format!("unknown status `{status}`"),
        ));
    }
    let filter = ShopFilter {
        status: query.status,
        owner_id: query.owner_id,
        visible_to: visibility(&caller),
    };
    let mut page = shops::list(&state.pool, &filter, page_of(query.page, query.per_page)).await?;
    let views = std::mem::take(&mut page.items)
        .into_iter()
        .map(|shop| view(shop, &caller))
        .collect();
    Ok(web::Json(page.with_items(views)))
}

/// Visible when active, to its owner, and to admins; anything else is 404 (no existence leak).
#[utoipa::path(get, path = "/v1/shops/{id}", tag = "shops", params(("id" = Uuid, Path)), security((), ("bearer" = [])), responses(
    (status = 200, body = ShopView), (status = 404, body = crate::error::Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: MaybeUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<ShopView>> {
    let shop = shops::find(&state.pool, *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let visible =
        shop.status == "active" || caller.is_admin() || caller.id() == Some(shop.owner_id);
    if visible {
        Ok(web::Json(view(shop, &caller)))
    } else {
        Err(ApiError::NotFound)
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShopUpdate {
    /// active, blocked or disabled.
    pub status: Option<String>,
    #[serde(default, deserialize_with = "sane_time::option::deserialize")]
    pub start_date: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "sane_time::option::deserialize")]
    pub end_date: Option<DateTime<Utc>>,
    pub item_limit: Option<i32>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
}

#[utoipa::path(patch, path = "/v1/shops/{id}", tag = "shops", request_body = ShopUpdate, params(("id" = Uuid, Path)),
    security(("bearer" = [])), responses((status = 200, body = Shop), (status = 404, body = crate::error::Problem),
    (status = 422, body = crate::error::Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    Admin(actor): Admin,
    id: web::Path<Uuid>,
    body: DeferredJson<ShopUpdate>,
) -> ApiResult<web::Json<Shop>> {
    let body = body.read().await?;
    let mut errors = FieldErrors::new();
    if let Some(status) = body.status.as_deref().filter(|s| !STATUSES.contains(s)) {
        let message = format!("must be one of {}, not `{status}`", STATUSES.join(", "));
        add(&mut errors, "status", message);
    }
    for (field, value, max) in [
        ("name", &body.name, 200),
        ("description", &body.description, 5000),
        ("category", &body.category, 120),
    ] {
        if let Some(value) = value {
            check_text(&mut errors, field, value, max, field == "name");
        }
    }
    check_limit(&mut errors, body.item_limit);
    ensure_valid(errors, "the shop is invalid")?;
    let changes = ShopChanges {
        status: body.status,
        start_date: body.start_date,
        end_date: body.end_date,
        item_limit: body.item_limit,
        name: body.name.map(|n| n.trim().to_owned()),
        description: body.description,
        category: body.category.map(|c| c.trim().to_owned()),
    };
    Ok(web::Json(apply(&state, &actor, *id, changes).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DurationRequest {
    #[serde(deserialize_with = "sane_time::deserialize")]
    pub start_date: DateTime<Utc>,
    #[serde(deserialize_with = "sane_time::deserialize")]
    pub end_date: DateTime<Utc>,
}

/// Sets the paid period. A blocked shop given a period that has not ended is not reactivated by
/// this call alone: set `status` to `active` too (PATCH).
#[utoipa::path(post, path = "/v1/shops/{id}/duration", tag = "shops", request_body = DurationRequest, params(("id" = Uuid, Path)),
    security(("bearer" = [])), responses((status = 200, body = Shop), (status = 404, body = crate::error::Problem),
    (status = 422, body = crate::error::Problem)))]
pub async fn set_duration(
    state: web::Data<AppState>,
    Admin(actor): Admin,
    id: web::Path<Uuid>,
    body: DeferredJson<DurationRequest>,
) -> ApiResult<web::Json<Shop>> {
    let body = body.read().await?;
    let changes = ShopChanges {
        start_date: Some(body.start_date),
        end_date: Some(body.end_date),
        ..ShopChanges::default()
    };
    Ok(web::Json(apply(&state, &actor, *id, changes).await?))
}

/// Applies an admin's changes after checking the resulting period, and audits them.
async fn apply(
    state: &AppState,
    actor: &AuthUser,
    id: Uuid,
    changes: ShopChanges,
) -> ApiResult<Shop> {
    let mut tx = state.pool.begin().await?;
    let before = shops::find(&mut *tx, id).await?.ok_or(ApiError::NotFound)?;
    let start = changes.start_date.unwrap_or(before.start_date);
    let end = changes.end_date.unwrap_or(before.end_date);
    if end <= start {
        return Err(ApiError::field("end_date", "must be after start_date"));
    }
    let after = shops::update(&mut tx, id, &changes)
        .await?
        .ok_or(ApiError::NotFound)?;
    if before.status != after.status {
        let meta = json!({ "from": before.status, "to": after.status });
        action_log::record(
            &mut *tx,
            Action {
                actor_id: actor.id,
                action: "shop.status_changed",
                target_type: "shop",
                target_id: id,
                meta,
            },
        )
        .await?;
    }
    let meta = json!({
        "start_date": after.start_date, "end_date": after.end_date, "item_limit": after.item_limit, "name": after.name,
    });
    action_log::record(
        &mut *tx,
        Action {
            actor_id: actor.id,
            action: "shop.updated",
            target_type: "shop",
            target_id: id,
            meta,
        },
    )
    .await?;
    tx.commit().await?;
    state.catalogue.bump().await;
    Ok(after)
}
