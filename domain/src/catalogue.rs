//! The public catalogue: published, not deleted products of active shops, filtered and sorted.
//! Each sort has its own static statement (and index, see migrations); optional filters are
//! `$n IS NULL OR …` predicates, which the pool's `plan_cache_mode = force_custom_plan` lets the
//! planner drop per call.

use serde::Deserialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::StoreResult;
use crate::pagination::{Page, PageRequest};
use crate::products::Product;

/// The catalogue's `total` counts matches up to this number.
pub const MAX_COUNTED: i64 = 10_000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum Sort {
    #[serde(rename = "price")]
    PriceAscending,
    #[serde(rename = "-price")]
    PriceDescending,
    #[default]
    #[serde(rename = "newest")]
    Newest,
    /// Most sold, then most viewed.
    #[serde(rename = "popular")]
    Popular,
}

#[derive(Debug, Default)]
pub struct CatalogueFilter {
    pub shop_id: Option<Uuid>,
    /// A category and all its sub-categories.
    pub category: Option<Uuid>,
    pub color: Option<String>,
    pub size: Option<String>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    /// Words to find in name or description.
    pub q: Option<String>,
}

macro_rules! catalogue_from {
    () => {
        " FROM products p JOIN shops s ON s.id = p.shop_id AND s.status = 'active' \
          WHERE p.published AND p.deleted_at IS NULL \
            AND ($1::uuid IS NULL OR p.shop_id = $1) \
            AND ($2::uuid IS NULL OR p.category_id IN ( \
                  WITH RECURSIVE sub AS (SELECT id FROM categories WHERE id = $2 \
                    UNION ALL SELECT c.id FROM categories c JOIN sub ON c.parent_id = sub.id) \
                  SELECT id FROM sub)) \
            AND ($3::text IS NULL OR p.color = $3) AND ($4::text IS NULL OR p.size = $4) \
            AND ($5::bigint IS NULL OR p.price_amount >= $5) AND ($6::bigint IS NULL OR p.price_amount <= $6) \
            AND ($7::text IS NULL OR to_tsvector('simple', p.name || ' ' || p.description) \
                 @@ plainto_tsquery('simple', $7))"
    };
}

macro_rules! catalogue_page {
    ($order:literal) => {
        concat!(
            "SELECT p.*",
            catalogue_from!(),
            " ORDER BY ",
            $order,
            " LIMIT $8 OFFSET $9"
        )
    };
}

fn page_sql(sort: Sort) -> &'static str {
    match sort {
        Sort::PriceAscending => catalogue_page!("p.price_amount ASC, p.id ASC"),
        Sort::PriceDescending => catalogue_page!("p.price_amount DESC, p.id DESC"),
        Sort::Newest => catalogue_page!("p.created_at DESC, p.id DESC"),
        Sort::Popular => catalogue_page!("p.sales DESC, p.views DESC, p.id DESC"),
    }
}

/// Binds the filters to $1..$7 of the statements built on `catalogue_from!`.
macro_rules! bind_filter {
    ($query:expr, $filter:expr) => {
        $query
            .bind($filter.shop_id)
            .bind($filter.category)
            .bind($filter.color.as_deref())
            .bind($filter.size.as_deref())
            .bind($filter.min_price)
            .bind($filter.max_price)
            .bind($filter.q.as_deref())
    };
}

/// `EXPLAIN ANALYZE` of the page query [`list`] runs for these arguments (for the catalogue
/// benchmark and operators checking index use).
pub async fn explain(
    pool: &PgPool,
    filter: &CatalogueFilter,
    sort: Sort,
    page: PageRequest,
) -> StoreResult<Vec<String>> {
    // The statement is static SQL; only the EXPLAIN prefix is added.
    let sql = format!("EXPLAIN (ANALYZE, COSTS OFF) {}", page_sql(sort));
    Ok(
        bind_filter!(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)), filter)
            .bind(page.limit())
            .bind(page.offset())
            .fetch_all(pool)
            .await?,
    )
}

pub async fn list(
    pool: &PgPool,
    filter: &CatalogueFilter,
    sort: Sort,
    page: PageRequest,
) -> StoreResult<Page<Product>> {
    let items = bind_filter!(sqlx::query_as(page_sql(sort)), filter)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(pool)
        .await?;
    // Counting every match of a broad filter costs a scan of the catalogue on each request;
    // the count stops at MAX_COUNTED (then `total_is_capped` says "at least MAX_COUNTED").
    let count = sqlx::query_scalar(concat!(
        "SELECT count(*) FROM (SELECT 1",
        catalogue_from!(),
        " LIMIT $8) AS counted"
    ));
    let total: i64 = bind_filter!(count, filter)
        .bind(MAX_COUNTED)
        .fetch_one(pool)
        .await?;
    Ok(Page::capped(items, page, total, MAX_COUNTED))
}
