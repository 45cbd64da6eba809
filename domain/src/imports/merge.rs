//! Merging a staged batch ([`super::staging`]) into the shop's catalogue, set-wise and in the
//! caller's transaction. In order: [`claim`] drops the rows whose SKU an earlier line of the file
//! took, [`resolve`] matches the rest with the shop's products, [`refuse_past`] drops the rows
//! the item limit has no room for, and [`write`] inserts, updates and revives.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreResult;

/// Claims the staged SKUs for the import in line order and drops the rows that did not get
/// theirs: a line earlier in this batch, or in an earlier one, has the same SKU. Returns the
/// dropped rows as `(line, sku)`.
pub async fn claim(tx: &mut PgConnection, import_id: Uuid) -> StoreResult<Vec<(i64, String)>> {
    Ok(sqlx::query_as(
        "WITH claimed AS ( \
           INSERT INTO import_skus (import_id, sku, line) \
           SELECT $1, sku, line FROM import_batch ORDER BY line \
           ON CONFLICT DO NOTHING RETURNING line) \
         DELETE FROM import_batch b WHERE NOT EXISTS (SELECT FROM claimed c WHERE c.line = b.line) \
         RETURNING b.line, b.sku",
    )
    .bind(import_id)
    .fetch_all(&mut *tx)
    .await?)
}

/// Points each staged row at the shop's product of the same SKU, if any (deleted ones
/// included: those are revived, and count against the item limit again).
///
/// Here and in [`write`], the products are looked up by `= ANY(ARRAY(…))` of the staged keys:
/// joined plainly, the planner prefers hashing the whole shop's products for every batch, which
/// made an import quadratic in the size of the shop.
pub async fn resolve(tx: &mut PgConnection, shop_id: Uuid) -> StoreResult<()> {
    sqlx::query(
        "UPDATE import_batch b SET product_id = p.id, revive = p.deleted_at IS NOT NULL \
         FROM products p WHERE p.shop_id = $1 AND p.sku = b.sku \
         AND p.sku = ANY(ARRAY(SELECT sku FROM import_batch))",
    )
    .bind(shop_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Keeps the first `room` rows (in line order) that would add a live product, new or revived,
/// and drops the others; returns their lines.
pub async fn refuse_past(tx: &mut PgConnection, room: i64) -> StoreResult<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "DELETE FROM import_batch b USING ( \
           SELECT line, row_number() OVER (ORDER BY line) AS n FROM import_batch \
           WHERE product_id IS NULL OR revive) adding \
         WHERE b.line = adding.line AND adding.n > $1 RETURNING b.line",
    )
    .bind(room)
    .fetch_all(&mut *tx)
    .await?)
}

/// What [`write`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    /// New products and revived ones: what the shop's live count grew by.
    pub created: i64,
    /// Live products that changed; identical rows are left alone.
    pub updated: i64,
}

/// Inserts the staged rows with no product, and writes the others over theirs where they differ
/// (or the product is deleted, which revives it).
pub async fn write(tx: &mut PgConnection, shop_id: Uuid) -> StoreResult<Written> {
    let (inserted, revived, updated): (i64, i64, i64) = sqlx::query_as(
        "WITH inserted AS ( \
           INSERT INTO products (id, shop_id, sku, name, description, price_amount, currency, \
             stock, category_id, color, size, variations, features) \
           SELECT new_id, $1, sku, name, description, price_amount, currency, stock, \
             category_id, color, size, variations, features \
           FROM import_batch WHERE product_id IS NULL RETURNING 1), \
         updated AS ( \
           UPDATE products p SET name = b.name, description = b.description, \
             price_amount = b.price_amount, currency = b.currency, stock = b.stock, \
             category_id = b.category_id, color = b.color, size = b.size, \
             variations = b.variations, features = b.features, deleted_at = NULL, \
             updated_at = now() \
           FROM import_batch b \
           WHERE p.id = b.product_id AND p.shop_id = $1 \
             AND p.id = ANY(ARRAY(SELECT product_id FROM import_batch WHERE product_id IS NOT NULL)) \
             AND (p.deleted_at IS NOT NULL OR \
             (p.name, p.description, p.price_amount, p.currency::text, p.stock, p.category_id, \
              p.color, p.size, p.variations, p.features) IS DISTINCT FROM \
             (b.name, b.description, b.price_amount, b.currency, b.stock, b.category_id, \
              b.color, b.size, b.variations, b.features)) \
           RETURNING b.revive) \
         SELECT (SELECT count(*) FROM inserted), \
           (SELECT count(*) FILTER (WHERE revive) FROM updated), \
           (SELECT count(*) FILTER (WHERE NOT revive) FROM updated)",
    )
    .bind(shop_id)
    .fetch_one(&mut *tx)
    .await?;
    Ok(Written {
        created: inserted + revived,
        updated,
    })
}
