//! /v1/promotions: admins create promotions for any shop or the whole platform, sellers for the
//! shops they own; anyone lists the running ones (sellers also see all of their shops', admins
//! everything).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use comptoir_domain::StoreError;
use comptoir_domain::action_log::{self, Action};
use comptoir_domain::pagination::Page;
use comptoir_domain::promotions::{self, KINDS, NewPromotion, Promotion, PromotionFilter};
use comptoir_domain::shops;
use comptoir_domain::types::Role;

use crate::auth::{MaybeUser, Merchant};
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::extract::DeferredJson;
use crate::routes::users::page_of;
use crate::state::AppState;
use crate::validate::{add, sane_time};

const MAX_SEGMENTS: usize = 20;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPromotionRequest {
    /// 3 to 40 letters, digits, `-` or `_`; unique whatever the case.
    pub code: String,
    /// `coupon` (applies when the client gives the code) or `flash` (applies to every order in
    /// scope during the period).
    pub kind: String,
    /// 1 to 100.
    pub percent: i32,
    #[serde(deserialize_with = "sane_time::deserialize")]
    pub start_date: DateTime<Utc>,
    #[serde(deserialize_with = "sane_time::deserialize")]
    pub end_date: DateTime<Utc>,
    /// Omit for a platform-wide promotion (admins only).
    pub shop_id: Option<Uuid>,
    /// Customer segments the promotion targets (up to 20 labels); recorded, not yet enforced.
    #[serde(default)]
    pub segments: Vec<String>,
}

impl NewPromotionRequest {
    fn validate(&self) -> ApiResult<()> {
        let mut errors = FieldErrors::new();
        let mut error = |field: &str, message: String| add(&mut errors, field, message);
        let code_ok = (3..=40).contains(&self.code.len())
            && self
                .code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !code_ok {
            error(
                "code",
                "must be 3 to 40 letters, digits, `-` or `_`".to_owned(),
            );
        }
        if !KINDS.contains(&self.kind.as_str()) {
            error("kind", format!("must be one of {}", KINDS.join(", ")));
        }
        if !(1..=100).contains(&self.percent) {
            error("percent", "must be between 1 and 100".to_owned());
        }
        if self.end_date <= self.start_date {
            error("end_date", "must be after start_date".to_owned());
        }
        let segment_ok =
            |s: &String| (1..=60).contains(&s.chars().count()) && !s.chars().any(char::is_control);
        if self.segments.len() > MAX_SEGMENTS || !self.segments.iter().all(segment_ok) {
            error(
                "segments",
                format!("must be at most {MAX_SEGMENTS} labels of 1 to 60 characters"),
            );
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation {
                detail: "the promotion is invalid".to_owned(),
                errors,
            })
        }
    }
}

/// A seller may only target a shop they own (another seller's shop is 404, as if it did not
/// exist); an admin may target any existing shop, or none.
async fn check_scope(
    state: &AppState,
    actor_id: Uuid,
    role: Role,
    shop_id: Option<Uuid>,
) -> ApiResult<()> {
    let shop = match shop_id {
        Some(id) => shops::find(&state.pool, id).await?,
        None if role.is_admin() => return Ok(()),
        None => {
            return Err(ApiError::field(
                "shop_id",
                "is required: sellers create promotions for their own shops",
            ));
        }
    };
    match shop {
        Some(shop) if role.is_admin() || shop.owner_id == actor_id => Ok(()),
        None if role.is_admin() => Err(ApiError::field("shop_id", "no such shop")),
        _ => Err(ApiError::NotFound),
    }
}

#[utoipa::path(post, path = "/v1/promotions", tag = "promotions", request_body = NewPromotionRequest, security(("bearer" = [])),
    responses((status = 201, body = Promotion), (status = 401, body = crate::error::Problem),
    (status = 403, body = crate::error::Problem), (status = 404, description = "another seller's shop", body = crate::error::Problem),
    (status = 409, description = "promotion_code_taken", body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    Merchant(actor): Merchant,
    body: DeferredJson<NewPromotionRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.read().await?;
    body.validate()?;
    check_scope(&state, actor.id, actor.role, body.shop_id).await?;
    let mut tx = state.pool.begin().await?;
    let promotion = promotions::insert(
        &mut *tx,
        NewPromotion {
            code: &body.code,
            kind: &body.kind,
            percent: body.percent,
            start_date: body.start_date,
            end_date: body.end_date,
            shop_id: body.shop_id,
            segments: json!(body.segments),
            created_by: actor.id,
        },
    )
    .await
    .map_err(|err| match err {
        StoreError::Conflict(_) => ApiError::Conflict {
            code: "promotion_code_taken",
            detail: format!("the code `{}` is taken (codes ignore case)", body.code),
        },
        other => other.into(),
    })?;
    let meta = json!({
        "code": promotion.code, "kind": promotion.kind, "percent": promotion.percent, "shop_id": promotion.shop_id,
        "start_date": promotion.start_date, "end_date": promotion.end_date,
    });
    action_log::record(
        &mut *tx,
        Action {
            actor_id: actor.id,
            action: "promotion.created",
            target_type: "promotion",
            target_id: promotion.id,
            meta,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Created().json(promotion))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PromotionQuery {
    /// Running now (`true`) or not (`false`). Admins see every promotion, sellers their own
    /// shops' and everyone running flash sales; coupon codes are never listed to the public.
    pub active: Option<bool>,
    pub shop_id: Option<Uuid>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[utoipa::path(get, path = "/v1/promotions", tag = "promotions", params(PromotionQuery), security((), ("bearer" = [])), responses(
    (status = 200, description = "a page of promotions: {items, page, per_page, total, total_is_capped}"), (status = 422, body = crate::error::Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: MaybeUser,
    query: web::Query<PromotionQuery>,
) -> ApiResult<web::Json<Page<Promotion>>> {
    let query = query.into_inner();
    let visible_to = match &caller.0 {
        _ if caller.is_admin() => None,
        Some(user) if user.role == Role::Seller => Some(Some(user.id)),
        _ => Some(None),
    };
    let filter = PromotionFilter {
        active: query.active,
        shop_id: query.shop_id,
        visible_to,
    };
    let mut page =
        promotions::list(&state.pool, &filter, page_of(query.page, query.per_page)).await?;
    // Who created a promotion is for admins and its author: a seller's id (or an admin's) is
    // not public, as a shop's owner_id is not.
    if !caller.is_admin() {
        for promotion in &mut page.items {
            if promotion.created_by != caller.id() {
                promotion.created_by = None;
            }
        }
    }
    Ok(web::Json(page))
}
