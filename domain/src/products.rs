//! Products: creation within a shop's item limit, edits, soft deletion.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::money::Money;
use crate::{StoreError, StoreResult, new_id};

/// Field limits, the same for the API and bulk imports.
pub mod limits {
    pub const SKU_CHARS: usize = 100;
    pub const NAME_CHARS: usize = 300;
    pub const DESCRIPTION_CHARS: usize = 20_000;
    pub const COLOR_CHARS: usize = 60;
    pub const SIZE_CHARS: usize = 60;
    pub const MAX_STOCK: i32 = 10_000_000;

    /// What is wrong with a text field, if anything: at most `max` characters (at least one
    /// non-blank when `required`), no control characters but line feeds.
    pub fn text_problem(value: &str, max: usize, required: bool) -> Option<String> {
        let acceptable = !(required && value.trim().is_empty())
            && value.chars().count() <= max
            && !value.chars().any(|c| c.is_control() && c != '\n');
        (!acceptable).then(|| {
            format!(
                "must be {}to {max} characters",
                if required { "1 " } else { "up " }
            )
        })
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Product {
    pub id: Uuid,
    pub shop_id: Uuid,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price_amount: i64,
    pub currency: String,
    pub stock: i32,
    pub category_id: Option<Uuid>,
    pub color: Option<String>,
    pub size: Option<String>,
    pub variations: serde_json::Value,
    pub features: serde_json::Value,
    pub published: bool,
    pub views: i64,
    pub sales: i64,
    pub deleted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A product as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProductView {
    pub id: Uuid,
    pub shop_id: Uuid,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price: Money,
    /// Shown to the shop's owner and admins only, like `views` and `sales`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stock: Option<i32>,
    /// Whether any is left, for everyone.
    pub in_stock: bool,
    pub category_id: Option<Uuid>,
    pub color: Option<String>,
    pub size: Option<String>,
    #[schema(value_type = Object)]
    pub variations: serde_json::Value,
    #[schema(value_type = Object)]
    pub features: serde_json::Value,
    pub published: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub views: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sales: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ProductView {
    /// The product as shoppers see it: no stock count, views or sales.
    pub fn public(self) -> Self {
        Self {
            stock: None,
            views: None,
            sales: None,
            ..self
        }
    }
}

impl From<Product> for ProductView {
    fn from(p: Product) -> Self {
        Self {
            id: p.id,
            shop_id: p.shop_id,
            sku: p.sku,
            name: p.name,
            description: p.description,
            price: Money {
                amount: p.price_amount,
                currency: p.currency,
            },
            stock: Some(p.stock),
            in_stock: p.stock > 0,
            category_id: p.category_id,
            color: p.color,
            size: p.size,
            variations: p.variations,
            features: p.features,
            published: p.published,
            views: Some(p.views),
            sales: Some(p.sales),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

macro_rules! product_columns {
    () => {
        "id, shop_id, sku, name, description, price_amount, currency, stock, category_id, color, size, \
         variations, features, published, views, sales, deleted_at, created_at, updated_at"
    };
}
// The catalogue selects the same columns (not `*`: the stored `search` vector stays in SQL).
pub(crate) use product_columns;

pub struct NewProduct<'a> {
    pub shop_id: Uuid,
    pub sku: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub price: &'a Money,
    pub stock: i32,
    pub category_id: Option<Uuid>,
    pub color: Option<&'a str>,
    pub size: Option<&'a str>,
    pub variations: &'a serde_json::Value,
    pub features: &'a serde_json::Value,
}

/// A shop's catalogue, locked until the end of the transaction.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct CatalogueLock {
    pub owner_id: Uuid,
    pub item_limit: i32,
    /// One more than when the lock was last taken (see the `catalogue_version` migration).
    pub catalogue_version: i64,
}

/// Locks the shop's catalogue until the end of the transaction, so that concurrent writers of
/// its products cannot overshoot the item limit together. The lock is an update of the shop row
/// (two of them wait for each other), so that each taking of it bumps `catalogue_version`.
pub async fn lock_catalogue(
    tx: &mut PgConnection,
    shop_id: Uuid,
) -> StoreResult<Option<CatalogueLock>> {
    Ok(sqlx::query_as(
        "UPDATE shops SET catalogue_version = catalogue_version + 1 WHERE id = $1 \
         RETURNING owner_id, item_limit, catalogue_version",
    )
    .bind(shop_id)
    .fetch_optional(tx)
    .await?)
}

/// The shop's owner and item limit, its catalogue locked as by [`lock_catalogue`].
pub async fn lock_shop(tx: &mut PgConnection, shop_id: Uuid) -> StoreResult<Option<(Uuid, i32)>> {
    Ok(lock_catalogue(tx, shop_id)
        .await?
        .map(|lock| (lock.owner_id, lock.item_limit)))
}

/// Products of the shop that count against its item limit (not deleted).
pub async fn count_live(tx: &mut PgConnection, shop_id: Uuid) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM products WHERE shop_id = $1 AND deleted_at IS NULL",
    )
    .bind(shop_id)
    .fetch_one(tx)
    .await?)
}

pub async fn insert(db: impl PgExecutor<'_>, product: NewProduct<'_>) -> StoreResult<Product> {
    sqlx::query_as(concat!(
        "INSERT INTO products (id, shop_id, sku, name, description, price_amount, currency, stock, category_id, \
           color, size, variations, features) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         RETURNING ",
        product_columns!()
    ))
    .bind(new_id())
    .bind(product.shop_id)
    .bind(product.sku)
    .bind(product.name)
    .bind(product.description)
    .bind(product.price.amount)
    .bind(&product.price.currency)
    .bind(product.stock)
    .bind(product.category_id)
    .bind(product.color)
    .bind(product.size)
    .bind(product.variations)
    .bind(product.features)
    .fetch_one(db)
    .await
    .map_err(StoreError::from_sqlx)
}

pub async fn find(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<Option<Product>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        product_columns!(),
        " FROM products WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// A change to a nullable column: `None` leaves it, `Some(None)` clears it.
pub type Nullable<T> = Option<Option<T>>;

#[derive(Debug, Default)]
pub struct ProductChanges {
    pub sku: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub price: Option<Money>,
    pub stock: Option<i32>,
    pub category_id: Nullable<Uuid>,
    pub color: Nullable<String>,
    pub size: Nullable<String>,
    pub variations: Option<serde_json::Value>,
    pub features: Option<serde_json::Value>,
    pub published: Option<bool>,
}

pub async fn update(
    tx: &mut PgConnection,
    id: Uuid,
    changes: &ProductChanges,
) -> StoreResult<Option<Product>> {
    sqlx::query_as(concat!(
        "UPDATE products SET sku = COALESCE($2, sku), name = COALESCE($3, name), \
           description = COALESCE($4, description), price_amount = COALESCE($5, price_amount), \
           currency = COALESCE($6, currency), stock = COALESCE($7, stock), \
           category_id = CASE WHEN $8 THEN $9 ELSE category_id END, \
           color = CASE WHEN $10 THEN $11 ELSE color END, size = CASE WHEN $12 THEN $13 ELSE size END, \
           variations = COALESCE($14, variations), features = COALESCE($15, features), \
           published = COALESCE($16, published), updated_at = now() \
         WHERE id = $1 AND deleted_at IS NULL RETURNING ",
        product_columns!()
    ))
    .bind(id)
    .bind(changes.sku.as_deref())
    .bind(changes.name.as_deref())
    .bind(changes.description.as_deref())
    .bind(changes.price.as_ref().map(|p| p.amount))
    .bind(changes.price.as_ref().map(|p| p.currency.as_str()))
    .bind(changes.stock)
    .bind(changes.category_id.is_some())
    .bind(changes.category_id.flatten())
    .bind(changes.color.is_some())
    .bind(changes.color.clone().flatten())
    .bind(changes.size.is_some())
    .bind(changes.size.clone().flatten())
    .bind(changes.variations.as_ref())
    .bind(changes.features.as_ref())
    .bind(changes.published)
    .fetch_optional(tx)
    .await
    .map_err(StoreError::from_sqlx)
}

/// The shop's live products, streamed (a shop may hold many).
pub fn stream_of_shop(
    pool: &sqlx::PgPool,
    shop_id: Uuid,
) -> futures::stream::BoxStream<'_, Result<Product, sqlx::Error>> {
    sqlx::query_as(concat!(
        "SELECT ",
        product_columns!(),
        " FROM products WHERE shop_id = $1 AND deleted_at IS NULL ORDER BY created_at, id"
    ))
    .bind(shop_id)
    .fetch(pool)
}

/// Soft delete: the row stays (orders reference it) but leaves the catalogue and the item count.
pub async fn soft_delete(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<bool> {
    let deleted = sqlx::query("UPDATE products SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL")
        .bind(id)
        .execute(db)
        .await?
        .rows_affected();
    Ok(deleted == 1)
}

/// Adds batched view counts: one statement for many products.
pub async fn add_views(db: impl PgExecutor<'_>, ids: &[Uuid], counts: &[i64]) -> StoreResult<()> {
    sqlx::query(
        "UPDATE products p SET views = p.views + v.n FROM unnest($1::uuid[], $2::bigint[]) AS v(id, n) WHERE p.id = v.id",
    )
    .bind(ids)
    .bind(counts)
    .execute(db)
    .await?;
    Ok(())
}
