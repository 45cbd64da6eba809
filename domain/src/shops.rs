//! Shops: paid periods (start/end dates), status, item limits, and the expiry sweep's queries.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

use crate::pagination::{Page, PageRequest};
use crate::{StoreResult, new_id};

pub const STATUSES: [&str; 3] = ["active", "blocked", "disabled"];

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Shop {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub name: String,
    pub description: String,
    pub category: String,
    /// `active`, `blocked` (paid period over) or `disabled` (by an admin).
    pub status: String,
    pub start_date: DateTime<Utc>,
    pub end_date: DateTime<Utc>,
    pub item_limit: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A shop as anyone may see it: who owns it and its item limit are its owner's and the admins'
/// business.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicShop {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub category: String,
    pub status: String,
    pub start_date: DateTime<Utc>,
    pub end_date: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Shop> for PublicShop {
    fn from(shop: Shop) -> Self {
        Self {
            id: shop.id,
            name: shop.name,
            description: shop.description,
            category: shop.category,
            status: shop.status,
            start_date: shop.start_date,
            end_date: shop.end_date,
            created_at: shop.created_at,
            updated_at: shop.updated_at,
        }
    }
}

macro_rules! shop_columns {
    () => {
        "id, owner_id, name, description, category, status, start_date, end_date, item_limit, created_at, updated_at"
    };
}

pub struct NewShop<'a> {
    pub owner_id: Uuid,
    pub name: &'a str,
    pub description: &'a str,
    pub category: &'a str,
    pub start_date: DateTime<Utc>,
    pub end_date: DateTime<Utc>,
    pub item_limit: i32,
}

pub async fn insert(db: impl PgExecutor<'_>, shop: NewShop<'_>) -> StoreResult<Shop> {
    Ok(sqlx::query_as(concat!(
        "INSERT INTO shops (id, owner_id, name, description, category, start_date, end_date, item_limit) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ",
        shop_columns!()
    ))
    .bind(new_id())
    .bind(shop.owner_id)
    .bind(shop.name)
    .bind(shop.description)
    .bind(shop.category)
    .bind(shop.start_date)
    .bind(shop.end_date)
    .bind(shop.item_limit)
    .fetch_one(db)
    .await?)
}

pub async fn find(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<Option<Shop>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        shop_columns!(),
        " FROM shops WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// The shop, locked until the transaction ends: two admins acting on it at once take turns.
pub async fn lock(tx: &mut PgConnection, id: Uuid) -> StoreResult<Option<Shop>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        shop_columns!(),
        " FROM shops WHERE id = $1 FOR UPDATE"
    ))
    .bind(id)
    .fetch_optional(tx)
    .await?)
}

#[derive(Debug, Default)]
pub struct ShopFilter {
    pub status: Option<String>,
    pub owner_id: Option<Uuid>,
    /// Only active shops, plus those of this user (a seller sees their own in any status).
    /// `None` for admins, who see everything.
    pub visible_to: Option<Visibility>,
}

#[derive(Debug, Clone, Copy)]
pub enum Visibility {
    Public,
    Owner(Uuid),
}

macro_rules! shop_filter {
    () => {
        "($1::text IS NULL OR status = $1) AND ($2::uuid IS NULL OR owner_id = $2) \
         AND (NOT $3 OR status = 'active' OR owner_id = $4)"
    };
}

pub async fn list(
    pool: &PgPool,
    filter: &ShopFilter,
    page: PageRequest,
) -> StoreResult<Page<Shop>> {
    let restricted = filter.visible_to.is_some();
    let viewer = match filter.visible_to {
        Some(Visibility::Owner(id)) => Some(id),
        _ => None,
    };
    let total: i64 =
        sqlx::query_scalar(concat!("SELECT count(*) FROM shops WHERE ", shop_filter!()))
            .bind(filter.status.as_deref())
            .bind(filter.owner_id)
            .bind(restricted)
            .bind(viewer)
            .fetch_one(pool)
            .await?;
    let items = sqlx::query_as(concat!(
        "SELECT ",
        shop_columns!(),
        " FROM shops WHERE ",
        shop_filter!(),
        " ORDER BY created_at DESC, id DESC LIMIT $5 OFFSET $6"
    ))
    .bind(filter.status.as_deref())
    .bind(filter.owner_id)
    .bind(restricted)
    .bind(viewer)
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(pool)
    .await?;
    Ok(Page::new(items, page, total))
}

/// An admin's changes; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct ShopChanges {
    pub status: Option<String>,
    pub start_date: Option<DateTime<Utc>>,
    pub end_date: Option<DateTime<Utc>>,
    pub item_limit: Option<i32>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
}

/// Applies `changes`, row-locked; `None` when the shop does not exist. The CHECK constraint
/// refuses an end date not after the start date.
pub async fn update(
    tx: &mut PgConnection,
    id: Uuid,
    changes: &ShopChanges,
) -> StoreResult<Option<Shop>> {
    Ok(sqlx::query_as(concat!(
        "UPDATE shops SET status = COALESCE($2, status), start_date = COALESCE($3, start_date), \
           end_date = COALESCE($4, end_date), item_limit = COALESCE($5, item_limit), name = COALESCE($6, name), \
           description = COALESCE($7, description), category = COALESCE($8, category), updated_at = now() \
         WHERE id = $1 RETURNING ",
        shop_columns!()
    ))
    .bind(id)
    .bind(changes.status.as_deref())
    .bind(changes.start_date)
    .bind(changes.end_date)
    .bind(changes.item_limit)
    .bind(changes.name.as_deref())
    .bind(changes.description.as_deref())
    .bind(changes.category.as_deref())
    .fetch_optional(tx)
    .await?)
}

/// A shop the sweep acted on, with what its owner's email needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SweptShop {
    pub id: Uuid,
    pub name: String,
    pub end_date: DateTime<Utc>,
    pub owner_name: String,
    pub owner_email: Option<String>,
}

/// Blocks every active shop whose paid period is over and returns them. Concurrent sweeps
/// serialise on the row locks: each shop is returned by exactly one of them.
pub async fn block_expired(tx: &mut PgConnection) -> StoreResult<Vec<SweptShop>> {
    Ok(sqlx::query_as(
        "WITH blocked AS ( \
           UPDATE shops SET status = 'blocked', updated_at = now() \
           WHERE status = 'active' AND end_date <= now() RETURNING id, name, end_date, owner_id) \
         SELECT b.id, b.name, b.end_date, u.name AS owner_name, u.email AS owner_email \
         FROM blocked b JOIN users u ON u.id = b.owner_id",
    )
    .fetch_all(tx)
    .await?)
}

/// Active shops whose period ends within `days` days.
pub async fn ending_within(tx: &mut PgConnection, days: i32) -> StoreResult<Vec<SweptShop>> {
    Ok(sqlx::query_as(
        "SELECT s.id, s.name, s.end_date, u.name AS owner_name, u.email AS owner_email \
         FROM shops s JOIN users u ON u.id = s.owner_id \
         WHERE s.status = 'active' AND s.end_date > now() AND s.end_date <= now() + make_interval(days => $1)",
    )
    .bind(days)
    .fetch_all(tx)
    .await?)
}
