//! Placing an order, in the caller's transaction: the products are locked in id order (so
//! concurrent checkouts serialise per product and never deadlock), every rule is checked before
//! anything is written, then stock and sales move, and the order and its lines are inserted.
//! A refused checkout writes nothing.

use std::collections::HashMap;

use sqlx::PgConnection;
use uuid::Uuid;

use crate::orders::{self, Order};
use crate::pricing::{self, Totals};
use crate::promotions::{self, Promotion};
use crate::{StoreError, new_id};

#[derive(Debug, Clone, Copy)]
pub struct Item {
    pub product_id: Uuid,
    pub quantity: i32,
}

pub struct NewOrder<'a> {
    pub client_id: Uuid,
    /// Distinct products (the caller refuses duplicates).
    pub items: &'a [Item],
    pub coupon_code: Option<&'a str>,
    pub shipping_address: Option<&'a serde_json::Value>,
    /// Unit prices agreed in a quote, one per item: they replace the catalogue prices, and no
    /// promotion applies on top of them.
    pub quoted_prices: Option<&'a [i64]>,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    /// Unknown, unpublished, deleted, or from a shop that is not active.
    #[error("an order needs at least one item")]
    NoItems,
    #[error("product {0} is not available")]
    Unavailable(Uuid),
    #[error("the items come from more than one shop; place one order per shop")]
    MixedShops,
    #[error("the items are priced in more than one currency")]
    MixedCurrencies,
    #[error("the coupon code is unknown, not running, or does not apply to this shop")]
    InvalidCoupon,
    #[error("product {product_id}: {requested} requested, {available} in stock")]
    InsufficientStock {
        product_id: Uuid,
        requested: i32,
        available: i32,
    },
    #[error("the order total is too large")]
    TooLarge,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for CheckoutError {
    fn from(err: sqlx::Error) -> Self {
        Self::Store(err.into())
    }
}

/// A placed order, with what its confirmation needs.
pub struct Placed {
    pub order: Order,
    pub shop_name: String,
}

#[derive(sqlx::FromRow)]
struct LockedProduct {
    id: Uuid,
    shop_id: Uuid,
    shop_name: String,
    sku: String,
    name: String,
    price_amount: i64,
    currency: String,
    stock: i32,
    available: bool,
}

pub async fn place(tx: &mut PgConnection, new: NewOrder<'_>) -> Result<Placed, CheckoutError> {
    let ids: Vec<Uuid> = new.items.iter().map(|item| item.product_id).collect();
    let locked: Vec<LockedProduct> = sqlx::query_as(
        "SELECT p.id, p.shop_id, s.name AS shop_name, p.sku, p.name, p.price_amount, p.currency, p.stock, \
           (p.published AND p.deleted_at IS NULL AND s.status = 'active') AS available \
         FROM products p JOIN shops s ON s.id = p.shop_id \
         WHERE p.id = ANY($1) ORDER BY p.id FOR UPDATE OF p",
    )
    .bind(&ids)
    .fetch_all(&mut *tx)
    .await?;
    let by_id: HashMap<Uuid, &LockedProduct> = locked.iter().map(|p| (p.id, p)).collect();
    let mut lines = Vec::with_capacity(new.items.len());
    for item in new.items {
        match by_id.get(&item.product_id) {
            Some(product) if product.available => lines.push((*product, item.quantity)),
            _ => return Err(CheckoutError::Unavailable(item.product_id)),
        }
    }
    let Some((first, _)) = lines.first() else {
        return Err(CheckoutError::NoItems);
    };
    let (shop_id, currency) = (first.shop_id, first.currency.clone());
    if lines.iter().any(|(p, _)| p.shop_id != shop_id) {
        return Err(CheckoutError::MixedShops);
    }
    if lines.iter().any(|(p, _)| p.currency != currency) {
        return Err(CheckoutError::MixedCurrencies);
    }
    if let Some((product, requested)) = lines.iter().find(|(p, quantity)| p.stock < *quantity) {
        return Err(CheckoutError::InsufficientStock {
            product_id: product.id,
            requested: *requested,
            available: product.stock,
        });
    }
    let promotion = match new.quoted_prices {
        Some(_) => None,
        None => promotion_for(tx, shop_id, new.coupon_code).await?,
    };
    let prices: Vec<i64> = match new.quoted_prices {
        Some(quoted) => quoted.to_vec(),
        None => lines.iter().map(|(p, _)| p.price_amount).collect(),
    };
    let line_totals = lines
        .iter()
        .zip(&prices)
        .map(|((_, quantity), price)| pricing::line_total(*price, *quantity))
        .collect::<Option<Vec<i64>>>()
        .ok_or(CheckoutError::TooLarge)?;
    let Totals {
        subtotal,
        discount,
        total,
    } = pricing::totals(&line_totals, promotion.as_ref().map_or(0, |p| p.percent))
        .ok_or(CheckoutError::TooLarge)?;

    let quantities: Vec<i32> = lines.iter().map(|(_, quantity)| *quantity).collect();
    // The rows are locked and their stock checked; the CHECK (stock >= 0) is the last guard.
    sqlx::query(
        "UPDATE products SET stock = stock - q.quantity, sales = sales + q.quantity, updated_at = now() \
         FROM unnest($1::uuid[], $2::integer[]) AS q(id, quantity) WHERE products.id = q.id",
    )
    .bind(&ids)
    .bind(&quantities)
    .execute(&mut *tx)
    .await?;

    let order_id = new_id();
    sqlx::query(
        "INSERT INTO orders (id, client_id, shop_id, currency, subtotal_amount, discount_amount, total_amount, \
           promotion_id, shipping_address) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(order_id)
    .bind(new.client_id)
    .bind(shop_id)
    .bind(&currency)
    .bind(subtotal)
    .bind(discount)
    .bind(total)
    .bind(promotion.as_ref().map(|p| p.id))
    .bind(new.shipping_address)
    .execute(&mut *tx)
    .await?;
    let line_ids: Vec<Uuid> = lines.iter().map(|_| new_id()).collect();
    let skus: Vec<&str> = lines.iter().map(|(p, _)| p.sku.as_str()).collect();
    let names: Vec<&str> = lines.iter().map(|(p, _)| p.name.as_str()).collect();
    sqlx::query(
        "INSERT INTO order_lines (id, order_id, product_id, sku, name, unit_price_amount, quantity, line_total_amount) \
         SELECT l.id, $1, l.product_id, l.sku, l.name, l.price, l.quantity, l.total \
         FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::bigint[], $7::integer[], $8::bigint[]) \
           AS l(id, product_id, sku, name, price, quantity, total)",
    )
    .bind(order_id)
    .bind(&line_ids)
    .bind(&ids)
    .bind(&skus)
    .bind(&names)
    .bind(&prices)
    .bind(&quantities)
    .bind(&line_totals)
    .execute(&mut *tx)
    .await?;
    Ok(Placed {
        order: orders::load(tx, order_id).await?,
        shop_name: first.shop_name.clone(),
    })
}

/// The promotion an order of `shop_id` gets: the best (highest percent) of the given coupon and
/// the running flash sales. Promotions do not stack. An inapplicable coupon is refused rather
/// than ignored, so the client knows before paying.
async fn promotion_for(
    tx: &mut PgConnection,
    shop_id: Uuid,
    coupon_code: Option<&str>,
) -> Result<Option<Promotion>, CheckoutError> {
    let coupon = match coupon_code {
        Some(code) => Some(
            promotions::applicable_coupon(&mut *tx, code, shop_id)
                .await?
                .ok_or(CheckoutError::InvalidCoupon)?,
        ),
        None => None,
    };
    let flash = promotions::best_flash_sale(&mut *tx, shop_id).await?;
    // On a tie the coupon the client chose wins (`max_by_key` keeps the last maximum).
    Ok([flash, coupon]
        .into_iter()
        .flatten()
        .max_by_key(|promotion| promotion.percent))
}
