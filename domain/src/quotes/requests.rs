//! A client's request for a quote: the products must be live products of one active shop, in
//! one currency; the quote gets the next global number.

use std::collections::HashMap;

use sqlx::PgConnection;
use uuid::Uuid;

use super::{Quote, QuoteError, find};
use crate::checkout::Item;
use crate::new_id;
use crate::orders::Scope;

pub struct NewQuote<'a> {
    pub client_id: Uuid,
    pub shop_id: Uuid,
    pub company_name: &'a str,
    pub vat_number: Option<&'a str>,
    pub notes: Option<&'a str>,
    /// Distinct products (the caller refuses duplicates).
    pub items: &'a [Item],
}

#[derive(sqlx::FromRow)]
struct Candidate {
    id: Uuid,
    currency: String,
}

/// The currency of `product_ids`, all live products of `shop_id` (an active shop).
pub(super) async fn currency_of(
    tx: &mut PgConnection,
    shop_id: Uuid,
    product_ids: &[Uuid],
) -> Result<String, QuoteError> {
    let active: Option<bool> =
        sqlx::query_scalar("SELECT status = 'active' FROM shops WHERE id = $1")
            .bind(shop_id)
            .fetch_optional(&mut *tx)
            .await?;
    if active != Some(true) {
        return Err(QuoteError::ShopUnavailable);
    }
    let found: Vec<Candidate> = sqlx::query_as(
        "SELECT id, currency FROM products WHERE id = ANY($1) AND shop_id = $2 \
           AND published AND deleted_at IS NULL",
    )
    .bind(product_ids)
    .bind(shop_id)
    .fetch_all(&mut *tx)
    .await?;
    let currencies: HashMap<Uuid, String> = found.into_iter().map(|p| (p.id, p.currency)).collect();
    let mut currency: Option<&String> = None;
    for id in product_ids {
        let Some(this) = currencies.get(id) else {
            return Err(QuoteError::ProductUnavailable(*id));
        };
        if currency.is_some_and(|first| first != this) {
            return Err(QuoteError::MixedCurrencies);
        }
        currency = Some(this);
    }
    currency
        .cloned()
        .ok_or(QuoteError::ProductUnavailable(Uuid::nil()))
}

/// Records the request, `requested`, with its items.
pub async fn request(tx: &mut PgConnection, new: NewQuote<'_>) -> Result<Quote, QuoteError> {
    let ids: Vec<Uuid> = new.items.iter().map(|item| item.product_id).collect();
    let currency = currency_of(tx, new.shop_id, &ids).await?;
    let id = new_id();
    sqlx::query(
        "INSERT INTO quotes (id, number, shop_id, client_id, company_name, vat_number, notes, currency) \
         VALUES ($1, 'Q-' || to_char(now(), 'YYYY') || '-' || lpad(nextval('quote_numbers')::text, 6, '0'), \
           $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(new.shop_id)
    .bind(new.client_id)
    .bind(new.company_name)
    .bind(new.vat_number)
    .bind(new.notes)
    .bind(&currency)
    .execute(&mut *tx)
    .await?;
    let quantities: Vec<i32> = new.items.iter().map(|item| item.quantity).collect();
    sqlx::query(
        "INSERT INTO quote_items (quote_id, product_id, quantity) \
         SELECT $1, i.product_id, i.quantity FROM unnest($2::uuid[], $3::integer[]) AS i(product_id, quantity)",
    )
    .bind(id)
    .bind(&ids)
    .bind(&quantities)
    .execute(&mut *tx)
    .await?;
    Ok(find(tx, id, Scope::All)
        .await?
        .ok_or(crate::StoreError::Database(sqlx::Error::RowNotFound))?)
}
