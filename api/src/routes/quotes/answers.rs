//! The steps of a quote after its request: the seller's offer (a job renders and emails its
//! PDF), and the client's answer: acceptance (an order at the quoted prices, stock decremented,
//! in one transaction) or rejection. The seller is notified of each answer.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use comptoir_domain::checkout::{self, Item, NewOrder};
use comptoir_domain::orders::{Order, Scope};
use comptoir_domain::quotes::{self, OfferLine, Quote, QuoteRow};
use comptoir_jobs::quotes::RenderQuote;

use super::{check_lines, check_notes, refused, wrong_state};
use crate::auth::{AuthUser, Merchant};
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::extract::DeferredJson;
use crate::routes::orders::{place, scope};
use crate::state::AppState;
use crate::validate::{add, ensure_valid, sane_time};

/// The highest unit price an offer takes, in minor units.
const MAX_UNIT_PRICE: i64 = 1_000_000_000_000;

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Offer {
    /// 1 to 100 lines, each product of the shop at most once.
    pub lines: Vec<OfferLineBody>,
    /// In the future: the client may accept until then.
    #[serde(deserialize_with = "sane_time::deserialize")]
    pub valid_until: DateTime<Utc>,
    /// Up to 2000 characters, printed on the PDF.
    pub notes: Option<String>,
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferLineBody {
    pub product_id: Uuid,
    /// 1 to 10000.
    pub quantity: i32,
    /// Minor units of the quote's currency, 1 to 10^12.
    pub unit_price: i64,
}

impl Offer {
    fn check(&self, now: DateTime<Utc>) -> ApiResult<Vec<OfferLine>> {
        let mut errors = FieldErrors::new();
        let lines = self
            .lines
            .iter()
            .map(|line| (line.product_id, line.quantity));
        check_lines(&mut errors, "lines", lines);
        for (index, line) in self.lines.iter().enumerate() {
            if !(1..=MAX_UNIT_PRICE).contains(&line.unit_price) {
                let message = "must be 1 to 10^12 minor units";
                add(&mut errors, &format!("lines[{index}].unit_price"), message);
            }
        }
        if self.valid_until <= now {
            add(&mut errors, "valid_until", "must be in the future");
        }
        check_notes(&mut errors, self.notes.as_deref());
        ensure_valid(errors, "the offer is invalid")?;
        Ok(self
            .lines
            .iter()
            .map(|line| OfferLine {
                product_id: line.product_id,
                quantity: line.quantity,
                unit_price: line.unit_price,
            })
            .collect())
    }
}

/// The seller's offer (replacing an earlier one): a job renders the numbered PDF, stores it
/// and emails the client a signed link.
#[utoipa::path(post, path = "/v1/quotes/{id}/offer", tag = "quotes", request_body = Offer,
    params(("id" = Uuid, Path)), security(("bearer" = [])), responses(
    (status = 202, body = Quote), (status = 401, body = crate::error::Problem),
    (status = 403, description = "not a seller or admin", body = crate::error::Problem),
    (status = 404, body = crate::error::Problem),
    (status = 409, description = "quote_state: neither requested nor offered", body = crate::error::Problem),
    (status = 422, description = "validation_failed, product_unavailable, mixed_currencies", body = crate::error::Problem)))]
pub async fn offer(
    state: web::Data<AppState>,
    Merchant(caller): Merchant,
    id: web::Path<Uuid>,
    body: DeferredJson<Offer>,
) -> ApiResult<HttpResponse> {
    let body = body.read().await?;
    let lines = body.check(Utc::now())?;
    let mut tx = state.pool.begin().await?;
    let quote = quotes::lock(&mut tx, *id, scope(&caller))
        .await?
        .ok_or(ApiError::NotFound)?;
    if !matches!(quote.status.as_str(), "requested" | "offered") {
        return Err(wrong_state(&quote.status, "offered"));
    }
    let notes = body.notes.as_deref();
    let version = quotes::offer(&mut tx, &quote, &lines, body.valid_until, notes)
        .await
        .map_err(refused)?;
    let render = RenderQuote {
        quote_id: quote.id,
        version,
    };
    state.producer.enqueue(&mut tx, &render).await?;
    let offered = quotes::find(&mut tx, quote.id, Scope::All)
        .await?
        .ok_or(ApiError::NotFound)?;
    state.producer.commit(tx).await?;
    tracing::info!(quote_id = %quote.id, version, "quote offered");
    Ok(HttpResponse::build(StatusCode::ACCEPTED).json(offered))
}

/// The client's quote, locked: anybody else is told there is no such quote.
async fn lock_own(tx: &mut sqlx::PgConnection, caller: &AuthUser, id: Uuid) -> ApiResult<QuoteRow> {
    quotes::lock(tx, id, Scope::Client(caller.id))
        .await?
        .ok_or(ApiError::NotFound)
}

/// Accepts the offer while it is valid: an order at the quoted prices, stock decremented, in
/// one transaction; the seller is notified. Insufficient stock changes nothing.
#[utoipa::path(post, path = "/v1/quotes/{id}/accept", tag = "quotes", params(("id" = Uuid, Path)),
    security(("bearer" = [])), responses((status = 201, body = Order),
    (status = 401, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
    (status = 409, description = "quote_state (not offered), quote_expired (valid_until passed), insufficient_stock",
        body = crate::error::Problem),
    (status = 422, description = "product_unavailable: a product was withdrawn since the offer", body = crate::error::Problem)))]
pub async fn accept(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let mut tx = state.pool.begin().await?;
    let quote = lock_own(&mut tx, &caller, *id).await?;
    if quote.status == "offered" && !quote.open_at(Utc::now()) {
        return Err(ApiError::Conflict {
            code: "quote_expired",
            detail: "the offer's valid_until has passed; ask the seller for a new one".to_owned(),
        });
    }
    if quote.status != "offered" {
        return Err(wrong_state(&quote.status, "accepted"));
    }
    let offered = quotes::offered_items(&mut *tx, quote.id).await?;
    let items: Vec<Item> = offered
        .iter()
        .map(|(product_id, quantity, _)| Item {
            product_id: *product_id,
            quantity: *quantity,
        })
        .collect();
    let prices: Vec<i64> = offered.iter().map(|(_, _, price)| *price).collect();
    let new = NewOrder {
        client_id: caller.id,
        items: &items,
        coupon_code: None,
        shipping_address: None,
        quoted_prices: Some(&prices),
    };
    let placed = checkout::place(&mut tx, new)
        .await
        .map_err(place::refused)?;
    quotes::set_status(&mut tx, quote.id, "accepted", Some(placed.order.id)).await?;
    quotes::notify_seller(&mut *tx, quote.shop_owner_id, &quote.number, "accepted").await?;
    place::confirm(&state, &mut tx, caller.id, &placed).await?;
    state.producer.commit(tx).await?;
    // Stock and sales moved: `in_stock` and the popular order may change.
    state.catalogue.bump().await;
    tracing::info!(quote_id = %quote.id, order_id = %placed.order.id, "quote accepted");
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header(("Location", format!("/v1/orders/{}", placed.order.id)))
        .json(placed.order))
}

/// Rejects the quote (requested or offered); the seller is notified.
#[utoipa::path(post, path = "/v1/quotes/{id}/reject", tag = "quotes", params(("id" = Uuid, Path)),
    security(("bearer" = [])), responses((status = 200, body = Quote),
    (status = 401, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
    (status = 409, description = "quote_state: already answered or expired", body = crate::error::Problem)))]
pub async fn reject(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<Quote>> {
    let mut tx = state.pool.begin().await?;
    let quote = lock_own(&mut tx, &caller, *id).await?;
    if !matches!(quote.status.as_str(), "requested" | "offered") {
        return Err(wrong_state(&quote.status, "rejected"));
    }
    let rejected = quotes::set_status(&mut tx, quote.id, "rejected", None).await?;
    quotes::notify_seller(&mut *tx, quote.shop_owner_id, &quote.number, "rejected").await?;
    tx.commit().await?;
    Ok(web::Json(rejected))
}
