//! The writes of one import batch, all in the caller's transaction: claim the batch's SKUs
//! for this import (a SKU seen earlier in the file is a row error), insert the new products,
//! update the changed ones, record row errors and advance the import's counters.
//! Rows travel as column arrays through `UNNEST`, one statement per step whatever the batch size.

use std::collections::{HashMap, HashSet};

use sqlx::PgConnection;
use uuid::Uuid;

use super::RowError;
use crate::StoreResult;

/// A valid row of an import file, ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductRow {
    pub line: i64,
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
}

/// A product of the shop that a row's SKU already names.
#[derive(Debug, Clone, Copy)]
pub struct Existing {
    pub id: Uuid,
    /// Soft-deleted: the import revives it, which counts against the item limit again.
    pub deleted: bool,
}

/// Claims `(sku, line)` pairs for the import; returns the lines that got their SKU. A line
/// that did not was preceded, in this batch or an earlier one, by a line with the same SKU.
pub async fn claim_skus(
    tx: &mut PgConnection,
    import_id: Uuid,
    skus: &[&str],
    lines: &[i64],
) -> StoreResult<HashSet<i64>> {
    let claimed: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO import_skus (import_id, sku, line) \
         SELECT $1, sku, line FROM UNNEST($2::text[], $3::bigint[]) WITH ORDINALITY AS u(sku, line, n) \
         ORDER BY n ON CONFLICT DO NOTHING RETURNING line",
    )
    .bind(import_id)
    .bind(skus)
    .bind(lines)
    .fetch_all(&mut *tx)
    .await?;
    Ok(claimed.into_iter().collect())
}

/// The shop's products named by `skus`, deleted ones included.
pub async fn existing(
    tx: &mut PgConnection,
    shop_id: Uuid,
    skus: &[&str],
) -> StoreResult<HashMap<String, Existing>> {
    let rows: Vec<(String, Uuid, bool)> = sqlx::query_as(
        "SELECT sku, id, deleted_at IS NOT NULL FROM products WHERE shop_id = $1 AND sku = ANY($2)",
    )
    .bind(shop_id)
    .bind(skus)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(sku, id, deleted)| (sku, Existing { id, deleted }))
        .collect())
}

/// Column arrays of a set of rows, in the order of `UNNEST`'s column list below.
struct Columns<'a> {
    sku: Vec<&'a str>,
    name: Vec<&'a str>,
    description: Vec<&'a str>,
    price_amount: Vec<i64>,
    currency: Vec<&'a str>,
    stock: Vec<i32>,
    category_id: Vec<Option<Uuid>>,
    color: Vec<Option<&'a str>>,
    size: Vec<Option<&'a str>>,
    variations: Vec<String>,
    features: Vec<String>,
}

impl<'a> Columns<'a> {
    fn of(rows: &[&'a ProductRow]) -> Self {
        Self {
            sku: rows.iter().map(|r| r.sku.as_str()).collect(),
            name: rows.iter().map(|r| r.name.as_str()).collect(),
            description: rows.iter().map(|r| r.description.as_str()).collect(),
            price_amount: rows.iter().map(|r| r.price_amount).collect(),
            currency: rows.iter().map(|r| r.currency.as_str()).collect(),
            stock: rows.iter().map(|r| r.stock).collect(),
            category_id: rows.iter().map(|r| r.category_id).collect(),
            color: rows.iter().map(|r| r.color.as_deref()).collect(),
            size: rows.iter().map(|r| r.size.as_deref()).collect(),
            variations: rows.iter().map(|r| r.variations.to_string()).collect(),
            features: rows.iter().map(|r| r.features.to_string()).collect(),
        }
    }

    fn bind<'q, O>(self, query: QueryScalar<'q, O>) -> QueryScalar<'q, O>
    where
        'a: 'q,
    {
        query
            .bind(self.sku)
            .bind(self.name)
            .bind(self.description)
            .bind(self.price_amount)
            .bind(self.currency)
            .bind(self.stock)
            .bind(self.category_id)
            .bind(self.color)
            .bind(self.size)
            .bind(self.variations)
            .bind(self.features)
    }
}

type QueryScalar<'q, O> =
    sqlx::query::QueryScalar<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>;

/// The rows as a table `u`: `$2` holds the product ids, `$3`… the columns of [`Columns`].
macro_rules! unnest_rows {
    () => {
        "UNNEST($2::uuid[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], \
         $8::int[], $9::uuid[], $10::text[], $11::text[], $12::text[], $13::text[]) \
         AS u(id, sku, name, description, price_amount, currency, stock, category_id, color, \
         size, variations, features)"
    };
}

/// Inserts new products under the given ids (aligned with `rows`).
pub async fn insert_new(
    tx: &mut PgConnection,
    shop_id: Uuid,
    ids: &[Uuid],
    rows: &[&ProductRow],
) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let query = sqlx::query_scalar(concat!(
        "INSERT INTO products (id, shop_id, sku, name, description, price_amount, currency, \
         stock, category_id, color, size, variations, features) \
         SELECT u.id, $1, u.sku, u.name, u.description, u.price_amount, u.currency, u.stock, \
         u.category_id, u.color, u.size, u.variations::jsonb, u.features::jsonb FROM ",
        unnest_rows!(),
        " RETURNING id"
    ))
    .bind(shop_id)
    .bind(ids);
    let _inserted: Vec<Uuid> = Columns::of(rows).bind(query).fetch_all(&mut *tx).await?;
    Ok(())
}

/// Writes `rows` over the existing products `ids` (aligned), reviving deleted ones; a row
/// equal to its product changes nothing. Returns the ids that did change.
pub async fn update_changed(
    tx: &mut PgConnection,
    shop_id: Uuid,
    ids: &[Uuid],
    rows: &[&ProductRow],
) -> StoreResult<HashSet<Uuid>> {
    if rows.is_empty() {
        return Ok(HashSet::new());
    }
    let query = sqlx::query_scalar(concat!(
        "UPDATE products p SET name = u.name, description = u.description, \
         price_amount = u.price_amount, currency = u.currency, stock = u.stock, \
         category_id = u.category_id, color = u.color, size = u.size, \
         variations = u.variations::jsonb, features = u.features::jsonb, deleted_at = NULL, \
         updated_at = now() FROM ",
        unnest_rows!(),
        " WHERE p.id = u.id AND p.shop_id = $1 AND (p.deleted_at IS NOT NULL OR \
         (p.name, p.description, p.price_amount, p.currency::text, p.stock, p.category_id, \
          p.color, p.size, p.variations, p.features) IS DISTINCT FROM \
         (u.name, u.description, u.price_amount, u.currency, u.stock, u.category_id, u.color, \
          u.size, u.variations::jsonb, u.features::jsonb)) \
         RETURNING p.id"
    ))
    .bind(shop_id)
    .bind(ids);
    let changed: Vec<Uuid> = Columns::of(rows).bind(query).fetch_all(&mut *tx).await?;
    Ok(changed.into_iter().collect())
}

/// Stores row errors while the import holds fewer than `cap`; the rest are only counted.
pub async fn record_errors(
    tx: &mut PgConnection,
    import_id: Uuid,
    errors: &[RowError],
    cap: i64,
) -> StoreResult<()> {
    if errors.is_empty() {
        return Ok(());
    }
    let lines: Vec<i64> = errors.iter().map(|e| e.line).collect();
    let columns: Vec<&str> = errors.iter().map(|e| e.column.as_str()).collect();
    let reasons: Vec<&str> = errors.iter().map(|e| e.reason.as_str()).collect();
    sqlx::query(
        r#"INSERT INTO import_errors (import_id, line, "column", reason)
           SELECT $1, line, col, reason FROM UNNEST($2::bigint[], $3::text[], $4::text[]) AS u(line, col, reason)
           LIMIT GREATEST(0, $5 - (SELECT count(*) FROM import_errors WHERE import_id = $1))"#,
    )
    .bind(import_id)
    .bind(lines)
    .bind(columns)
    .bind(reasons)
    .bind(cap)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// What one batch adds to the import's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// CSV records consumed: the checkpoint a resumed import skips to.
    pub processed: i32,
    pub created: i32,
    pub updated: i32,
    pub failed: i32,
}

pub async fn advance(tx: &mut PgConnection, import_id: Uuid, by: Progress) -> StoreResult<()> {
    sqlx::query(
        "UPDATE imports SET processed = processed + $2, created = created + $3, \
         updated = updated + $4, failed = failed + $5 WHERE id = $1",
    )
    .bind(import_id)
    .bind(by.processed)
    .bind(by.created)
    .bind(by.updated)
    .bind(by.failed)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
