//! The public catalogue: published, not deleted products of active shops, filtered and sorted.
//! Each sort has its own static statement (and index, see migrations); optional filters are
//! `$n IS NULL OR …` predicates, which the pool's `plan_cache_mode = force_custom_plan` lets the
//! planner drop per call. Reads run in [`read_transaction`], under a statement timeout.

use serde::Deserialize;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::StoreResult;
use crate::pagination::{Page, PageRequest};
use crate::products::{Product, product_columns};

/// The catalogue's `total` counts matches up to this number.
pub const MAX_COUNTED: i64 = 10_000;

/// Below this many matches a search reads its matches through the GIN index first, then sorts
/// them. The planner cannot tell a rare word from a common one (any word outside its lexeme
/// statistics is guessed at 0.5 % of the rows), so it would walk a sort index filtering every
/// product to find the few matches of a rare or absent word; the count tells us instead.
const SPARSE_MATCHES: i64 = 1_000;

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

/// `FROM <source> p WHERE …`: listed products matching $1..$6 (and $7 when `$search` says so).
macro_rules! catalogue_from {
    ($source:literal; $($search:tt)*) => {
        concat!(
            " FROM ",
            $source,
            " p WHERE p.published AND p.deleted_at IS NULL \
              AND p.shop_id IN (SELECT id FROM shops WHERE status = 'active') \
              AND ($1::uuid IS NULL OR p.shop_id = $1) \
              AND ($2::uuid IS NULL OR p.category_id IN ( \
                    WITH RECURSIVE sub AS (SELECT id FROM categories WHERE id = $2 \
                      UNION ALL SELECT c.id FROM categories c JOIN sub ON c.parent_id = sub.id) \
                    SELECT id FROM sub)) \
              AND ($3::text IS NULL OR p.color = $3) AND ($4::text IS NULL OR p.size = $4) \
              AND ($5::bigint IS NULL OR p.price_amount >= $5) \
              AND ($6::bigint IS NULL OR p.price_amount <= $6)",
            $($search)*
        )
    };
}

/// The search predicate on the stored `search` vector (GIN index `products_search_idx`).
macro_rules! search_matches {
    () => {
        " AND ($7::text IS NULL OR p.search @@ plainto_tsquery('simple', $7))"
    };
}

/// The page statement for a sort, over all products (`dense`) or over the matches of the
/// search collected first (`sparse`).
macro_rules! catalogue_page {
    (dense, $order:literal) => {
        concat!(
            "SELECT ",
            product_columns!(),
            catalogue_from!("products"; search_matches!()),
            " ORDER BY ",
            $order,
            " LIMIT $8 OFFSET $9"
        )
    };
    (sparse, $order:literal) => {
        concat!(
            "WITH matches AS MATERIALIZED (SELECT * FROM products p WHERE p.published \
               AND p.deleted_at IS NULL AND p.search @@ plainto_tsquery('simple', $7)) \
             SELECT ",
            product_columns!(),
            catalogue_from!("matches";),
            " ORDER BY ",
            $order,
            " LIMIT $8 OFFSET $9"
        )
    };
}

macro_rules! by_sort {
    ($shape:ident, $sort:expr) => {
        match $sort {
            Sort::PriceAscending => catalogue_page!($shape, "p.price_amount ASC, p.id ASC"),
            Sort::PriceDescending => catalogue_page!($shape, "p.price_amount DESC, p.id DESC"),
            Sort::Newest => catalogue_page!($shape, "p.created_at DESC, p.id DESC"),
            Sort::Popular => catalogue_page!($shape, "p.sales DESC, p.views DESC, p.id DESC"),
        }
    };
}

/// The statement for a page of `filter` whose matches number `total` (capped).
fn page_sql(filter: &CatalogueFilter, sort: Sort, total: i64) -> &'static str {
    if filter.q.is_some() && total < SPARSE_MATCHES {
        by_sort!(sparse, sort)
    } else {
        by_sort!(dense, sort)
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

/// A read-only transaction whose statements are cancelled after `statement_timeout_ms`
/// (SQLSTATE 57014): an anonymous request cannot hold a connection and a core for long.
pub async fn read_transaction(
    pool: &PgPool,
    statement_timeout_ms: u64,
) -> StoreResult<Transaction<'static, Postgres>> {
    // One round trip; the timeout is a number from the configuration, not client input.
    let begin = format!("BEGIN READ ONLY; SET LOCAL statement_timeout = {statement_timeout_ms}");
    Ok(pool.begin_with(sqlx::AssertSqlSafe(begin)).await?)
}

/// How many products match `filter`, up to [`MAX_COUNTED`]: counting every match of a broad
/// filter would scan the catalogue.
pub async fn count(db: &mut PgConnection, filter: &CatalogueFilter) -> StoreResult<i64> {
    let count = sqlx::query_scalar(concat!(
        "SELECT count(*) FROM (SELECT 1",
        catalogue_from!("products"; search_matches!()),
        " LIMIT $8) AS counted"
    ));
    Ok(bind_filter!(count, filter)
        .bind(MAX_COUNTED)
        .fetch_one(db)
        .await?)
}

/// A page of the catalogue; `total` is the [`count`] of `filter` (known from a cache, or
/// counted here when `None`). A page past the (counted) matches costs no query.
pub async fn list(
    db: &mut PgConnection,
    filter: &CatalogueFilter,
    sort: Sort,
    page: PageRequest,
    total: Option<i64>,
) -> StoreResult<Page<Product>> {
    let total = match total {
        Some(total) => total,
        None => count(db, filter).await?,
    };
    // A capped total says nothing of what lies past the cap.
    let items = if total < MAX_COUNTED && page.offset() >= total {
        Vec::new()
    } else {
        bind_filter!(sqlx::query_as(page_sql(filter, sort, total)), filter)
            .bind(page.limit())
            .bind(page.offset())
            .fetch_all(db)
            .await?
    };
    Ok(Page::capped(items, page, total, MAX_COUNTED))
}

/// `EXPLAIN ANALYZE` of the page query [`list`] runs for these arguments (for the catalogue
/// benchmark and operators checking index use).
pub async fn explain(
    pool: &PgPool,
    filter: &CatalogueFilter,
    sort: Sort,
    page: PageRequest,
) -> StoreResult<Vec<String>> {
    let mut db = pool.acquire().await?;
    let total = count(&mut db, filter).await?;
    // The statement is static SQL; only the EXPLAIN prefix is added.
    let sql = format!(
        "EXPLAIN (ANALYZE, COSTS OFF) {}",
        page_sql(filter, sort, total)
    );
    Ok(
        bind_filter!(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)), filter)
            .bind(page.limit())
            .bind(page.offset())
            .fetch_all(&mut *db)
            .await?,
    )
}
