//! The seller's offer (lines at their prices, valid until a date), its rendered PDF, and the
//! expiry of offers left unanswered past their date.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::requests::currency_of;
use super::{QuoteError, QuoteRow};
use crate::StoreResult;

#[derive(Debug, Clone, Copy)]
pub struct OfferLine {
    pub product_id: Uuid,
    pub quantity: i32,
    /// Minor units of the quote's currency.
    pub unit_price: i64,
}

/// Replaces a locked quote's lines with `lines` and marks it `offered` until `valid_until`;
/// returns the offer's version, which its PDF is rendered for.
pub async fn offer(
    tx: &mut PgConnection,
    quote: &QuoteRow,
    lines: &[OfferLine],
    valid_until: DateTime<Utc>,
    notes: Option<&str>,
) -> Result<i32, QuoteError> {
    let ids: Vec<Uuid> = lines.iter().map(|line| line.product_id).collect();
    if currency_of(tx, quote.shop_id, &ids).await? != quote.currency {
        return Err(QuoteError::MixedCurrencies);
    }
    let totals = lines
        .iter()
        .map(|line| crate::pricing::line_total(line.unit_price, line.quantity))
        .collect::<Option<Vec<i64>>>()
        .and_then(|totals| crate::pricing::totals(&totals, 0));
    if totals.is_none() {
        return Err(QuoteError::TooLarge);
    }
    sqlx::query("DELETE FROM quote_lines WHERE quote_id = $1")
        .bind(quote.id)
        .execute(&mut *tx)
        .await?;
    let quantities: Vec<i32> = lines.iter().map(|line| line.quantity).collect();
    let prices: Vec<i64> = lines.iter().map(|line| line.unit_price).collect();
    sqlx::query(
        "INSERT INTO quote_lines (quote_id, product_id, quantity, unit_price_amount) \
         SELECT $1, l.product_id, l.quantity, l.price \
         FROM unnest($2::uuid[], $3::integer[], $4::bigint[]) AS l(product_id, quantity, price)",
    )
    .bind(quote.id)
    .bind(&ids)
    .bind(&quantities)
    .bind(&prices)
    .execute(&mut *tx)
    .await?;
    Ok(sqlx::query_scalar(
        "UPDATE quotes SET status = 'offered', valid_until = $2, offer_notes = $3, \
           offer_version = offer_version + 1, updated_at = now() WHERE id = $1 RETURNING offer_version",
    )
    .bind(quote.id)
    .bind(valid_until)
    .bind(notes)
    .fetch_one(&mut *tx)
    .await?)
}

/// Records the PDF of offer `version` at `key`; `false` when a newer or the same one already is.
pub async fn set_pdf(
    db: impl PgExecutor<'_>,
    id: Uuid,
    version: i32,
    key: &str,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE quotes SET pdf_key = $3, pdf_version = $2 WHERE id = $1 AND pdf_version < $2",
    )
    .bind(id)
    .bind(version)
    .bind(key)
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// A quote whose offer expired, and who to tell.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExpiredQuote {
    pub id: Uuid,
    pub number: String,
    pub shop_owner_id: Uuid,
}

/// Marks every offer past its date `expired`; each is returned to one sweep only.
pub async fn expire_due(db: impl PgExecutor<'_>) -> StoreResult<Vec<ExpiredQuote>> {
    Ok(sqlx::query_as(
        "UPDATE quotes q SET status = 'expired', updated_at = now() FROM shops s \
         WHERE s.id = q.shop_id AND q.status = 'offered' AND q.valid_until <= now() \
         RETURNING q.id, q.number, s.owner_id AS shop_owner_id",
    )
    .fetch_all(db)
    .await?)
}

/// What a quote PDF shows.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QuoteSheet {
    pub id: Uuid,
    pub number: String,
    pub status: String,
    pub offer_version: i32,
    pub shop_name: String,
    pub seller_name: String,
    pub seller_email: Option<String>,
    pub client_id: Uuid,
    pub client_name: String,
    pub client_email: Option<String>,
    pub company_name: String,
    pub vat_number: Option<String>,
    pub currency: String,
    pub offer_notes: Option<String>,
    pub valid_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// One offered line as printed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SheetLine {
    pub sku: String,
    pub name: String,
    pub quantity: i32,
    pub unit_price_amount: i64,
}

impl SheetLine {
    /// The line's amount (the offer's totals were checked to fit when it was made).
    pub fn amount(&self) -> i64 {
        self.unit_price_amount
            .saturating_mul(i64::from(self.quantity))
    }
}

/// The total of the offered lines.
pub fn total(lines: &[SheetLine]) -> i64 {
    lines
        .iter()
        .map(SheetLine::amount)
        .fold(0, i64::saturating_add)
}

pub async fn sheet(
    db: &mut PgConnection,
    id: Uuid,
) -> StoreResult<Option<(QuoteSheet, Vec<SheetLine>)>> {
    let sheet: Option<QuoteSheet> = sqlx::query_as(
        "SELECT q.id, q.number, q.status, q.offer_version, s.name AS shop_name, \
           o.name AS seller_name, o.email AS seller_email, q.client_id, c.name AS client_name, \
           c.email AS client_email, q.company_name, q.vat_number, q.currency, q.offer_notes, \
           q.valid_until, q.created_at \
         FROM quotes q JOIN shops s ON s.id = q.shop_id JOIN users o ON o.id = s.owner_id \
           JOIN users c ON c.id = q.client_id WHERE q.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *db)
    .await?;
    let Some(sheet) = sheet else { return Ok(None) };
    let lines = sqlx::query_as(
        "SELECT p.sku, p.name, l.quantity, l.unit_price_amount FROM quote_lines l \
         JOIN products p ON p.id = l.product_id WHERE l.quote_id = $1 ORDER BY p.sku, p.id",
    )
    .bind(id)
    .fetch_all(&mut *db)
    .await?;
    Ok(Some((sheet, lines)))
}

/// Where the latest rendered offer's PDF is stored, if one is.
pub async fn pdf_key(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<Option<String>> {
    Ok(
        sqlx::query_scalar::<_, Option<String>>("SELECT pdf_key FROM quotes WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?
            .flatten(),
    )
}
