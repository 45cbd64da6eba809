//! B2B quotes: `requested` (a client asks a shop for a price on products) → `offered` (the
//! seller's lines and prices, valid until a date; a PDF is rendered) → `accepted` (an order at
//! the quoted prices, see [`crate::checkout`]) | `rejected` | `expired` (the sweep, once the
//! offer's date has passed). Every price is in the currency of the requested products.

mod notices;
mod offers;
mod requests;

pub use notices::{LINK_SUBJECT, notify_seller};
pub use offers::{
    ExpiredQuote, OfferLine, QuoteSheet, SheetLine, expire_due, offer, pdf_key, set_pdf, sheet,
    total,
};
pub use requests::{NewQuote, request};

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

use crate::money::Money;
use crate::orders::Scope;
use crate::pagination::{Page, PageRequest};
use crate::{StoreError, StoreResult};

pub const STATUSES: [&str; 5] = ["requested", "offered", "accepted", "rejected", "expired"];

#[derive(Debug, thiserror::Error)]
pub enum QuoteError {
    #[error("the shop is unknown or not active")]
    ShopUnavailable,
    #[error("product {0} is not available from this shop")]
    ProductUnavailable(Uuid),
    #[error("the products are priced in more than one currency")]
    MixedCurrencies,
    #[error("the quote total is too large")]
    TooLarge,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for QuoteError {
    fn from(err: sqlx::Error) -> Self {
        Self::Store(err.into())
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Quote {
    pub id: Uuid,
    /// Global and sequential, e.g. `Q-2026-000123`.
    #[schema(example = "Q-2026-000123")]
    pub number: String,
    pub shop_id: Uuid,
    #[serde(skip)]
    pub shop_owner_id: Uuid,
    pub client_id: Uuid,
    pub company_name: String,
    pub vat_number: Option<String>,
    pub notes: Option<String>,
    /// requested, offered, accepted, rejected or expired.
    pub status: String,
    pub currency: String,
    /// The seller's notes with the offer.
    pub offer_notes: Option<String>,
    /// The offer can be accepted until then.
    pub valid_until: Option<DateTime<Utc>>,
    /// The order the accepted quote became.
    pub order_id: Option<Uuid>,
    /// The PDF of the latest offer is rendered (`GET /v1/quotes/{id}/pdf`).
    pub pdf_ready: bool,
    pub items: Vec<QuoteItem>,
    pub lines: Vec<QuoteLine>,
    /// The offered lines' total, once offered.
    pub total: Option<Money>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A requested product and quantity.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct QuoteItem {
    pub product_id: Uuid,
    pub quantity: i32,
}

/// An offered line.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuoteLine {
    pub product_id: Uuid,
    pub quantity: i32,
    pub unit_price: Money,
    pub line_total: Money,
}

#[derive(sqlx::FromRow)]
pub struct QuoteRow {
    pub id: Uuid,
    pub number: String,
    pub shop_id: Uuid,
    pub shop_owner_id: Uuid,
    pub client_id: Uuid,
    pub company_name: String,
    pub vat_number: Option<String>,
    pub notes: Option<String>,
    pub status: String,
    pub currency: String,
    pub offer_notes: Option<String>,
    pub valid_until: Option<DateTime<Utc>>,
    pub offer_version: i32,
    pub pdf_key: Option<String>,
    pub pdf_version: i32,
    pub order_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct LineRow {
    quote_id: Uuid,
    product_id: Uuid,
    quantity: i32,
    unit_price_amount: i64,
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    quote_id: Uuid,
    product_id: Uuid,
    quantity: i32,
}

macro_rules! quote_columns {
    () => {
        "q.id, q.number, q.shop_id, s.owner_id AS shop_owner_id, q.client_id, q.company_name, \
         q.vat_number, q.notes, q.status, q.currency, q.offer_notes, q.valid_until, q.offer_version, \
         q.pdf_key, q.pdf_version, q.order_id, q.created_at, q.updated_at"
    };
}

/// The scope ($1 client, $2 shop owner) and filters ($3 status, $4 shop) of [`list`].
macro_rules! quote_filter {
    () => {
        "($1::uuid IS NULL OR q.client_id = $1) AND ($2::uuid IS NULL OR s.owner_id = $2) \
         AND ($3::text IS NULL OR q.status = $3) AND ($4::uuid IS NULL OR q.shop_id = $4)"
    };
}

impl QuoteRow {
    /// Whether the offer is still open at `now`.
    pub fn open_at(&self, now: DateTime<Utc>) -> bool {
        self.status == "offered" && self.valid_until.is_some_and(|until| until > now)
    }

    fn view(self, items: Vec<ItemRow>, lines: Vec<LineRow>) -> Quote {
        let lines: Vec<QuoteLine> = lines
            .into_iter()
            .map(|line| QuoteLine {
                product_id: line.product_id,
                quantity: line.quantity,
                unit_price: Money::new(line.unit_price_amount, &self.currency),
                line_total: Money::new(
                    line.unit_price_amount
                        .saturating_mul(i64::from(line.quantity)),
                    &self.currency,
                ),
            })
            .collect();
        let total = (!lines.is_empty()).then(|| {
            let sum = lines.iter().map(|line| line.line_total.amount).sum();
            Money::new(sum, &self.currency)
        });
        Quote {
            id: self.id,
            number: self.number,
            shop_id: self.shop_id,
            shop_owner_id: self.shop_owner_id,
            client_id: self.client_id,
            company_name: self.company_name,
            vat_number: self.vat_number,
            notes: self.notes,
            status: self.status,
            currency: self.currency,
            offer_notes: self.offer_notes,
            valid_until: self.valid_until,
            order_id: self.order_id,
            pdf_ready: self.pdf_key.is_some() && self.pdf_version == self.offer_version,
            items: items
                .into_iter()
                .map(|item| QuoteItem {
                    product_id: item.product_id,
                    quantity: item.quantity,
                })
                .collect(),
            lines,
            total,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// The quotes' rows completed with their items and lines.
async fn with_details(db: &mut PgConnection, rows: Vec<QuoteRow>) -> StoreResult<Vec<Quote>> {
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let items: Vec<ItemRow> = sqlx::query_as(
        "SELECT quote_id, product_id, quantity FROM quote_items WHERE quote_id = ANY($1) \
         ORDER BY quote_id, product_id",
    )
    .bind(&ids)
    .fetch_all(&mut *db)
    .await?;
    let lines: Vec<LineRow> = sqlx::query_as(
        "SELECT quote_id, product_id, quantity, unit_price_amount FROM quote_lines \
         WHERE quote_id = ANY($1) ORDER BY quote_id, product_id",
    )
    .bind(&ids)
    .fetch_all(&mut *db)
    .await?;
    let mut items_of: HashMap<Uuid, Vec<ItemRow>> = HashMap::new();
    for item in items {
        items_of.entry(item.quote_id).or_default().push(item);
    }
    let mut lines_of: HashMap<Uuid, Vec<LineRow>> = HashMap::new();
    for line in lines {
        lines_of.entry(line.quote_id).or_default().push(line);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let (items, lines) = (
                items_of.remove(&row.id).unwrap_or_default(),
                lines_of.remove(&row.id).unwrap_or_default(),
            );
            row.view(items, lines)
        })
        .collect())
}

pub struct QuoteFilter {
    pub scope: Scope,
    pub status: Option<String>,
    pub shop_id: Option<Uuid>,
}

/// A page of the quotes `filter` selects, newest first.
pub async fn list(
    pool: &PgPool,
    filter: &QuoteFilter,
    page: PageRequest,
) -> StoreResult<Page<Quote>> {
    let (client, owner) = filter.scope.binds();
    let mut db = pool.acquire().await?;
    let total: i64 = sqlx::query_scalar(concat!(
        "SELECT count(*) FROM quotes q JOIN shops s ON s.id = q.shop_id WHERE ",
        quote_filter!()
    ))
    .bind(client)
    .bind(owner)
    .bind(filter.status.as_deref())
    .bind(filter.shop_id)
    .fetch_one(&mut *db)
    .await?;
    let rows: Vec<QuoteRow> = sqlx::query_as(concat!(
        "SELECT ",
        quote_columns!(),
        " FROM quotes q JOIN shops s ON s.id = q.shop_id WHERE ",
        quote_filter!(),
        " ORDER BY q.created_at DESC, q.id DESC LIMIT $5 OFFSET $6"
    ))
    .bind(client)
    .bind(owner)
    .bind(filter.status.as_deref())
    .bind(filter.shop_id)
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(&mut *db)
    .await?;
    Ok(Page::new(with_details(&mut db, rows).await?, page, total))
}

/// The quote's row if `scope` sees it; `FOR UPDATE` when `lock`.
async fn row(
    db: impl PgExecutor<'_>,
    id: Uuid,
    scope: Scope,
    lock: bool,
) -> StoreResult<Option<QuoteRow>> {
    let (client, owner) = scope.binds();
    macro_rules! select {
        ($suffix:literal) => {
            concat!(
                "SELECT ",
                quote_columns!(),
                " FROM quotes q JOIN shops s ON s.id = q.shop_id \
                 WHERE q.id = $3 AND ($1::uuid IS NULL OR q.client_id = $1) \
                   AND ($2::uuid IS NULL OR s.owner_id = $2)",
                $suffix
            )
        };
    }
    let sql = if lock {
        select!(" FOR UPDATE OF q")
    } else {
        select!("")
    };
    Ok(sqlx::query_as(sql)
        .bind(client)
        .bind(owner)
        .bind(id)
        .fetch_optional(db)
        .await?)
}

/// The quote with its items and lines if `scope` sees it.
pub async fn find(db: &mut PgConnection, id: Uuid, scope: Scope) -> StoreResult<Option<Quote>> {
    let Some(found) = row(&mut *db, id, scope, false).await? else {
        return Ok(None);
    };
    Ok(with_details(db, vec![found]).await?.pop())
}

/// The quote's row, locked, if `scope` sees it.
pub async fn lock(tx: &mut PgConnection, id: Uuid, scope: Scope) -> StoreResult<Option<QuoteRow>> {
    row(tx, id, scope, true).await
}

/// The offered lines of a quote, as an order takes them.
pub async fn offered_items(
    db: impl PgExecutor<'_>,
    id: Uuid,
) -> StoreResult<Vec<(Uuid, i32, i64)>> {
    Ok(sqlx::query_as(
        "SELECT product_id, quantity, unit_price_amount FROM quote_lines WHERE quote_id = $1 \
         ORDER BY product_id",
    )
    .bind(id)
    .fetch_all(db)
    .await?)
}

/// Moves a locked quote to `status` (`accepted` with its order) and returns it.
pub async fn set_status(
    tx: &mut PgConnection,
    id: Uuid,
    status: &str,
    order_id: Option<Uuid>,
) -> StoreResult<Quote> {
    sqlx::query(
        "UPDATE quotes SET status = $2, order_id = coalesce($3, order_id), updated_at = now() \
         WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(order_id)
    .execute(&mut *tx)
    .await?;
    find(tx, id, Scope::All)
        .await?
        .ok_or(StoreError::Database(sqlx::Error::RowNotFound))
}
