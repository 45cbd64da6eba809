//! Orders and their lines: reading them within a caller's scope, and the status machine.
//! Placing an order (stock, promotions, pricing) is in [`crate::checkout`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

use crate::StoreResult;
use crate::money::Money;
use crate::pagination::{Page, PageRequest};

pub const STATUSES: [&str; 6] = [
    "pending",
    "paid",
    "preparing",
    "shipped",
    "delivered",
    "cancelled",
];

/// The status machine: `pending → paid → preparing → shipped → delivered`, and `cancelled` from
/// `pending` or `paid`.
pub fn transition_allowed(from: &str, to: &str) -> bool {
    matches!(
        (from, to),
        ("pending", "paid")
            | ("paid", "preparing")
            | ("preparing", "shipped")
            | ("shipped", "delivered")
            | ("pending" | "paid", "cancelled")
    )
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Order {
    pub id: Uuid,
    pub client_id: Uuid,
    pub shop_id: Uuid,
    /// pending, paid, preparing, shipped, delivered or cancelled.
    pub status: String,
    pub subtotal: Money,
    pub discount: Money,
    pub total: Money,
    /// The promotion applied, if any (one per order: the best of the coupon and flash sales).
    pub promotion_id: Option<Uuid>,
    pub shipping_address: Option<serde_json::Value>,
    /// Who carries the parcel, once shipped.
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub lines: Vec<OrderLine>,
}

/// A line, with the product's sku, name and price as they were when the order was placed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderLine {
    pub id: Uuid,
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    pub unit_price: Money,
    pub quantity: i32,
    pub line_total: Money,
}

/// An `orders` row, with the owner of its shop.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderRow {
    pub id: Uuid,
    pub client_id: Uuid,
    pub shop_id: Uuid,
    pub shop_owner_id: Uuid,
    pub status: String,
    pub currency: String,
    pub subtotal_amount: i64,
    pub discount_amount: i64,
    pub total_amount: i64,
    pub promotion_id: Option<Uuid>,
    pub shipping_address: Option<serde_json::Value>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub paid_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct LineRow {
    pub id: Uuid,
    pub order_id: Uuid,
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    pub unit_price_amount: i64,
    pub quantity: i32,
    pub line_total_amount: i64,
}

/// Columns of [`OrderRow`] over `orders o JOIN shops s`.
macro_rules! order_columns {
    () => {
        "o.id, o.client_id, o.shop_id, s.owner_id AS shop_owner_id, o.status, o.currency, o.subtotal_amount, \
         o.discount_amount, o.total_amount, o.promotion_id, o.shipping_address, o.carrier, o.tracking_number, o.paid_at, o.created_at, o.updated_at"
    };
}
impl OrderRow {
    fn with_lines(self, lines: Vec<LineRow>) -> Order {
        let money = |amount| Money::new(amount, &self.currency);
        Order {
            id: self.id,
            client_id: self.client_id,
            shop_id: self.shop_id,
            subtotal: money(self.subtotal_amount),
            discount: money(self.discount_amount),
            total: money(self.total_amount),
            status: self.status,
            promotion_id: self.promotion_id,
            shipping_address: self.shipping_address,
            carrier: self.carrier,
            tracking_number: self.tracking_number,
            paid_at: self.paid_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
            lines: lines
                .into_iter()
                .map(|line| OrderLine {
                    id: line.id,
                    product_id: line.product_id,
                    sku: line.sku,
                    name: line.name,
                    unit_price: Money::new(line.unit_price_amount, &self.currency),
                    quantity: line.quantity,
                    line_total: Money::new(line.line_total_amount, &self.currency),
                })
                .collect(),
        }
    }
}

/// Whose orders a caller sees.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    All,
    /// The orders this client placed.
    Client(Uuid),
    /// The orders of the shops this seller owns.
    ShopOwner(Uuid),
}

impl Scope {
    pub(crate) fn binds(self) -> (Option<Uuid>, Option<Uuid>) {
        match self {
            Scope::All => (None, None),
            Scope::Client(id) => (Some(id), None),
            Scope::ShopOwner(id) => (None, Some(id)),
        }
    }
}

#[derive(Debug)]
pub struct OrderFilter {
    pub scope: Scope,
    pub status: Option<String>,
    /// Placed at or after.
    pub from: Option<DateTime<Utc>>,
    /// Placed before.
    pub to: Option<DateTime<Utc>>,
    pub shop_id: Option<Uuid>,
}

/// The scope ($1 client, $2 shop owner) and filters ($3..$6) of [`list`].
macro_rules! order_filter {
    () => {
        "($1::uuid IS NULL OR o.client_id = $1) AND ($2::uuid IS NULL OR s.owner_id = $2) \
         AND ($3::text IS NULL OR o.status = $3) AND ($4::timestamptz IS NULL OR o.created_at >= $4) \
         AND ($5::timestamptz IS NULL OR o.created_at < $5) AND ($6::uuid IS NULL OR o.shop_id = $6)"
    };
}

pub async fn list(
    pool: &PgPool,
    filter: &OrderFilter,
    page: PageRequest,
) -> StoreResult<Page<Order>> {
    let (client, owner) = filter.scope.binds();
    let total: i64 = sqlx::query_scalar(concat!(
        "SELECT count(*) FROM orders o JOIN shops s ON s.id = o.shop_id WHERE ",
        order_filter!()
    ))
    .bind(client)
    .bind(owner)
    .bind(filter.status.as_deref())
    .bind(filter.from)
    .bind(filter.to)
    .bind(filter.shop_id)
    .fetch_one(pool)
    .await?;
    let rows: Vec<OrderRow> = sqlx::query_as(concat!(
        "SELECT ",
        order_columns!(),
        " FROM orders o JOIN shops s ON s.id = o.shop_id WHERE ",
        order_filter!(),
        " ORDER BY o.created_at DESC, o.id DESC LIMIT $7 OFFSET $8"
    ))
    .bind(client)
    .bind(owner)
    .bind(filter.status.as_deref())
    .bind(filter.from)
    .bind(filter.to)
    .bind(filter.shop_id)
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(pool)
    .await?;
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let mut lines: HashMap<Uuid, Vec<LineRow>> = HashMap::new();
    for line in lines_of(pool, &ids).await? {
        lines.entry(line.order_id).or_default().push(line);
    }
    let items = rows
        .into_iter()
        .map(|row| {
            let mine = lines.remove(&row.id).unwrap_or_default();
            row.with_lines(mine)
        })
        .collect();
    Ok(Page::new(items, page, total))
}

/// The lines of these orders, in the order they were placed.
async fn lines_of(db: impl PgExecutor<'_>, order_ids: &[Uuid]) -> StoreResult<Vec<LineRow>> {
    Ok(sqlx::query_as(
        "SELECT id, order_id, product_id, sku, name, unit_price_amount, quantity, line_total_amount \
         FROM order_lines WHERE order_id = ANY($1) ORDER BY order_id, id",
    )
    .bind(order_ids)
    .fetch_all(db)
    .await?)
}

/// The order with its lines if `scope` sees it.
pub async fn find(pool: &PgPool, id: Uuid, scope: Scope) -> StoreResult<Option<Order>> {
    let (client, owner) = scope.binds();
    let row: Option<OrderRow> = sqlx::query_as(concat!(
        "SELECT ",
        order_columns!(),
        " FROM orders o JOIN shops s ON s.id = o.shop_id WHERE o.id = $3 \
           AND ($1::uuid IS NULL OR o.client_id = $1) AND ($2::uuid IS NULL OR s.owner_id = $2)"
    ))
    .bind(client)
    .bind(owner)
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(match row {
        Some(row) => Some(row.with_lines(lines_of(pool, &[id]).await?)),
        None => None,
    })
}

/// The order row, locked until the end of `tx`.
pub async fn lock(tx: &mut PgConnection, id: Uuid) -> StoreResult<Option<OrderRow>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        order_columns!(),
        " FROM orders o JOIN shops s ON s.id = o.shop_id WHERE o.id = $1 FOR UPDATE OF o"
    ))
    .bind(id)
    .fetch_optional(tx)
    .await?)
}

/// The order with its lines, read inside `tx` (e.g. right after writing it).
pub async fn load(tx: &mut PgConnection, id: Uuid) -> StoreResult<Order> {
    let row: OrderRow = sqlx::query_as(concat!(
        "SELECT ",
        order_columns!(),
        " FROM orders o JOIN shops s ON s.id = o.shop_id WHERE o.id = $1"
    ))
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let lines = lines_of(&mut *tx, &[id]).await?;
    Ok(row.with_lines(lines))
}

/// Sets the status of a locked order (and `paid_at` when it becomes paid); returns the order.
/// The caller checks the transition with [`transition_allowed`].
pub async fn set_status(tx: &mut PgConnection, id: Uuid, status: &str) -> StoreResult<Order> {
    sqlx::query(
        "UPDATE orders SET status = $2, updated_at = now(), \
           paid_at = CASE WHEN $2 = 'paid' THEN now() ELSE paid_at END WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .execute(&mut *tx)
    .await?;
    load(tx, id).await
}

/// Records who carries a locked order's parcel (when it is shipped).
pub async fn set_shipment(
    tx: &mut PgConnection,
    id: Uuid,
    carrier: Option<&str>,
    tracking_number: Option<&str>,
) -> StoreResult<()> {
    sqlx::query("UPDATE orders SET carrier = $2, tracking_number = $3 WHERE id = $1")
        .bind(id)
        .bind(carrier)
        .bind(tracking_number)
        .execute(tx)
        .await?;
    Ok(())
}

/// Puts a cancelled order's quantities back in stock and takes them off the products' sales.
/// Products are locked in id order, like checkout does, so the two never deadlock.
pub async fn restock(tx: &mut PgConnection, order_id: Uuid) -> StoreResult<()> {
    sqlx::query(
        "SELECT id FROM products WHERE id IN (SELECT product_id FROM order_lines WHERE order_id = $1) \
         ORDER BY id FOR UPDATE",
    )
    .bind(order_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE products p SET stock = p.stock + l.quantity, sales = GREATEST(p.sales - l.quantity, 0), \
           updated_at = now() \
         FROM (SELECT product_id, sum(quantity)::integer AS quantity FROM order_lines \
               WHERE order_id = $1 GROUP BY product_id) l \
         WHERE p.id = l.product_id",
    )
    .bind(order_id)
    .execute(tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_machine_moves_forward_and_cancels_before_preparation() {
        let forward = ["pending", "paid", "preparing", "shipped", "delivered"];
        for pair in forward.windows(2) {
            assert!(transition_allowed(pair[0], pair[1]), "{pair:?}");
            assert!(!transition_allowed(pair[1], pair[0]), "{pair:?} backwards");
        }
        assert!(transition_allowed("pending", "cancelled"));
        assert!(transition_allowed("paid", "cancelled"));
        for from in ["preparing", "shipped", "delivered", "cancelled"] {
            assert!(!transition_allowed(from, "cancelled"), "{from}");
        }
        for status in STATUSES {
            assert!(!transition_allowed(status, status), "{status} to itself");
            assert!(!transition_allowed("cancelled", status), "out of cancelled");
        }
        assert!(!transition_allowed("pending", "shipped"), "no skipping");
    }
}
