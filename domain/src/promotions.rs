//! Promotions: percentage discounts over a period, platform-wide (`shop_id` null) or for one
//! shop. A `coupon` applies when the client gives its code; a `flash` sale applies to every order
//! of its scope during its period. Codes are unique whatever their case.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use crate::pagination::{Page, PageRequest};
use crate::{StoreResult, new_id};

pub const KINDS: [&str; 2] = ["coupon", "flash"];

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Promotion {
    pub id: Uuid,
    pub code: String,
    /// `coupon` (applies when its code is given) or `flash` (applies to every order in scope).
    pub kind: String,
    pub percent: i32,
    pub start_date: DateTime<Utc>,
    pub end_date: DateTime<Utc>,
    /// `null` for a platform-wide promotion.
    pub shop_id: Option<Uuid>,
    pub segments: serde_json::Value,
    /// Listed to admins and to its author only.
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

macro_rules! promotion_columns {
    () => {
        "id, code, kind, percent, start_date, end_date, shop_id, segments, created_by, created_at"
    };
}

/// Running now: within its period.
macro_rules! running {
    () => {
        "(start_date <= now() AND end_date > now())"
    };
}

pub struct NewPromotion<'a> {
    pub code: &'a str,
    pub kind: &'a str,
    pub percent: i32,
    pub start_date: DateTime<Utc>,
    pub end_date: DateTime<Utc>,
    pub shop_id: Option<Uuid>,
    pub segments: serde_json::Value,
    pub created_by: Uuid,
}

/// Inserts a promotion; a code already taken (in any case) is `StoreError::Conflict`.
pub async fn insert(
    db: impl PgExecutor<'_>,
    promotion: NewPromotion<'_>,
) -> StoreResult<Promotion> {
    sqlx::query_as(concat!(
        "INSERT INTO promotions (id, code, kind, percent, start_date, end_date, shop_id, segments, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ",
        promotion_columns!()
    ))
    .bind(new_id())
    .bind(promotion.code)
    .bind(promotion.kind)
    .bind(promotion.percent)
    .bind(promotion.start_date)
    .bind(promotion.end_date)
    .bind(promotion.shop_id)
    .bind(promotion.segments)
    .bind(promotion.created_by)
    .fetch_one(db)
    .await
    .map_err(crate::StoreError::from_sqlx)
}

#[derive(Debug, Default)]
pub struct PromotionFilter {
    /// Running now (`true`) or not (`false`).
    pub active: Option<bool>,
    pub shop_id: Option<Uuid>,
    /// `None` for admins (everything); otherwise running flash sales only (coupon codes are
    /// for the shops that hand them out), plus every promotion of the shops this user owns when
    /// `Some(Some(owner))`.
    pub visible_to: Option<Option<Uuid>>,
}

macro_rules! promotion_filter {
    () => {
        concat!(
            "($1::boolean IS NULL OR ",
            running!(),
            " = $1) AND ($2::uuid IS NULL OR shop_id = $2) AND (NOT $3 OR (kind = 'flash' AND ",
            running!(),
            ") OR shop_id IN (SELECT id FROM shops WHERE owner_id = $4))"
        )
    };
}

pub async fn list(
    pool: &PgPool,
    filter: &PromotionFilter,
    page: PageRequest,
) -> StoreResult<Page<Promotion>> {
    let restricted = filter.visible_to.is_some();
    let owner = filter.visible_to.flatten();
    let total: i64 = sqlx::query_scalar(concat!(
        "SELECT count(*) FROM promotions WHERE ",
        promotion_filter!()
    ))
    .bind(filter.active)
    .bind(filter.shop_id)
    .bind(restricted)
    .bind(owner)
    .fetch_one(pool)
    .await?;
    let items = sqlx::query_as(concat!(
        "SELECT ",
        promotion_columns!(),
        " FROM promotions WHERE ",
        promotion_filter!(),
        " ORDER BY start_date DESC, id DESC LIMIT $5 OFFSET $6"
    ))
    .bind(filter.active)
    .bind(filter.shop_id)
    .bind(restricted)
    .bind(owner)
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(pool)
    .await?;
    Ok(Page::new(items, page, total))
}

/// The promotion with this code (any case) if it is running and applies to `shop_id`'s orders.
pub async fn applicable_coupon(
    db: impl PgExecutor<'_>,
    code: &str,
    shop_id: Uuid,
) -> StoreResult<Option<Promotion>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        promotion_columns!(),
        " FROM promotions WHERE upper(code) = upper($1) AND (shop_id IS NULL OR shop_id = $2) AND ",
        running!()
    ))
    .bind(code)
    .bind(shop_id)
    .fetch_optional(db)
    .await?)
}

/// The running flash sale with the highest percentage that applies to `shop_id`'s orders.
pub async fn best_flash_sale(
    db: impl PgExecutor<'_>,
    shop_id: Uuid,
) -> StoreResult<Option<Promotion>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        promotion_columns!(),
        " FROM promotions WHERE kind = 'flash' AND (shop_id IS NULL OR shop_id = $1) AND ",
        running!(),
        " ORDER BY percent DESC, id LIMIT 1"
    ))
    .bind(shop_id)
    .fetch_optional(db)
    .await?)
}
