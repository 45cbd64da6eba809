//! Merging a staged batch ([`super::staging`]) into the shop's catalogue, set-wise and in the
//! caller's transaction. In order: [`resolve`] matches the rows with the shop's products,
//! [`refuse_repeats`] drops the rows whose SKU an earlier line of the file wrote,
//! [`refuse_past`] drops the rows the item limit has no room for, [`remember`] records the SKUs
//! that later batches cannot recognise by themselves, and [`write`] inserts, updates and
//! revives.
//!
//! A SKU an earlier batch created is recognised by its product's `import_id`; only the SKUs
//! matched with products that existed before (and, in a dry run, whose products are rolled
//! back, all of them) go to `import_skus`. A fresh catalogue therefore costs no bookkeeping row
//! per product.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::StoreResult;

/// Points each staged row at the shop's product of the same SKU, if any (deleted ones
/// included: those are revived, and count against the item limit again), and marks the rows
/// whose product this import created in an earlier batch.
///
/// Here and in [`write`], the products are looked up by `= ANY(ARRAY(…))` of the staged keys:
/// joined plainly, the planner prefers hashing the whole shop's products for every batch, which
/// made an import quadratic in the size of the shop.
pub async fn resolve(tx: &mut PgConnection, shop_id: Uuid, import_id: Uuid) -> StoreResult<()> {
    sqlx::query(
        "UPDATE import_batch b SET product_id = p.id, revive = p.deleted_at IS NOT NULL, \
         repeated = p.import_id IS NOT DISTINCT FROM $2 \
         FROM products p WHERE p.shop_id = $1 AND p.sku = b.sku \
         AND p.sku = ANY(ARRAY(SELECT sku FROM import_batch))",
    )
    .bind(shop_id)
    .bind(import_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Drops the rows whose SKU an earlier line of the file wrote: a line before it in this
/// batch, a product this import created ([`resolve`]), or a SKU [`remember`]ed by an earlier
/// batch. Returns them as `(line, sku)`.
pub async fn refuse_repeats(
    tx: &mut PgConnection,
    import_id: Uuid,
) -> StoreResult<Vec<(i64, String)>> {
    // Set-wise: an `OR EXISTS` per row made PostgreSQL scan the batch once for every row.
    Ok(sqlx::query_as(
        "DELETE FROM import_batch b USING ( \
           SELECT line FROM ( \
             SELECT line, repeated, row_number() OVER (PARTITION BY sku ORDER BY line) AS nth \
             FROM import_batch) w \
           WHERE w.repeated OR w.nth > 1 \
           UNION \
           SELECT c.line FROM import_batch c \
           JOIN import_skus s ON s.import_id = $1 AND s.sku = c.sku) r \
         WHERE b.line = r.line RETURNING b.line, b.sku",
    )
    .bind(import_id)
    .fetch_all(&mut *tx)
    .await?)
}

/// Records the SKUs of the rows left that a later batch could not tell from its product: those
/// of products that existed before the import, and in a `dry_run` (whose products are rolled
/// back) every one.
pub async fn remember(tx: &mut PgConnection, import_id: Uuid, dry_run: bool) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO import_skus (import_id, sku, line) \
         SELECT $1, sku, line FROM import_batch WHERE product_id IS NOT NULL OR $2 \
         ON CONFLICT DO NOTHING",
    )
    .bind(import_id)
    .bind(dry_run)
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

/// Inserts the staged rows with no product (as created by `import_id`), and writes the others
/// over theirs where they differ (or the product is deleted, which revives it).
pub async fn write(tx: &mut PgConnection, shop_id: Uuid, import_id: Uuid) -> StoreResult<Written> {
    let (inserted, revived, updated): (i64, i64, i64) = sqlx::query_as(
        "WITH inserted AS ( \
           INSERT INTO products (id, shop_id, sku, name, description, price_amount, currency, \
             stock, category_id, color, size, variations, features, import_id) \
           SELECT new_id, $1, sku, name, description, price_amount, currency, stock, \
             category_id, color, size, variations, features, $2 \
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
    .bind(import_id)
    .fetch_one(&mut *tx)
    .await?;
    Ok(Written {
        created: inserted + revived,
        updated,
    })
}
