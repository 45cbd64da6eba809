//! /v1/quotes: B2B quotes. A client asks a shop for a price (`requested`), the shop's seller
//! offers lines valid until a date (`offered`, a PDF is rendered and emailed), the client
//! accepts (an order at the quoted prices) or rejects. Clients see their own quotes, sellers
//! those of their shops, admins all; any other quote is 404.

pub mod answers;
pub mod pdf;

use std::collections::HashSet;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use comptoir_domain::checkout::Item;
use comptoir_domain::pagination::Page;
use comptoir_domain::quotes::{self, NewQuote, Quote, QuoteError, QuoteFilter};

use crate::auth::{AuthUser, Client};
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::extract::DeferredJson;
use crate::routes::orders::scope;
use crate::routes::users::page_of;
use crate::state::AppState;
use crate::validate::{add, check_text, ensure_valid};

pub const MAX_ITEMS: usize = 100;
pub const MAX_QUANTITY: i32 = 10_000;
const MAX_COMPANY_CHARS: usize = 200;
const MAX_NOTES_CHARS: usize = 2000;

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    pub shop_id: Uuid,
    /// 1 to 100 lines, each product (of this shop) at most once.
    pub items: Vec<QuoteRequestItem>,
    /// The company the quote is for (1 to 200 characters).
    pub company_name: String,
    /// The company's VAT number: 4 to 20 letters and digits (spaces, dots and dashes ignored).
    pub vat_number: Option<String>,
    /// Up to 2000 characters.
    pub notes: Option<String>,
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequestItem {
    pub product_id: Uuid,
    /// 1 to 10000.
    pub quantity: i32,
}

/// Checks 1 to 100 distinct products at 1 to 10000 each, under `field`.
pub(crate) fn check_lines(
    errors: &mut FieldErrors,
    field: &str,
    lines: impl ExactSizeIterator<Item = (Uuid, i32)>,
) {
    if !(1..=MAX_ITEMS).contains(&lines.len()) {
        add(errors, field, format!("must have 1 to {MAX_ITEMS} lines"));
    }
    let mut seen = HashSet::new();
    for (index, (product_id, quantity)) in lines.enumerate() {
        if !(1..=MAX_QUANTITY).contains(&quantity) {
            let message = format!("must be between 1 and {MAX_QUANTITY}");
            add(errors, &format!("{field}[{index}].quantity"), message);
        }
        if !seen.insert(product_id) {
            let message = "appears on another line; give one line per product";
            add(errors, &format!("{field}[{index}].product_id"), message);
        }
    }
}

/// Optional free text of at most 2000 characters.
pub(crate) fn check_notes(errors: &mut FieldErrors, notes: Option<&str>) {
    if let Some(notes) = notes {
        check_text(errors, "notes", notes, MAX_NOTES_CHARS, false);
    }
}

/// The VAT number without spaces, dots and dashes, upper-cased, if it looks like one: 4 to 20
/// letters and digits, with at least one digit (`FR40303265045`, `GB 123 4567 89`).
fn normalized_vat(value: &str) -> Option<String> {
    let compact: String = value
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-'))
        .collect::<String>()
        .to_ascii_uppercase();
    let acceptable = (4..=20).contains(&compact.len())
        && compact.chars().all(|c| c.is_ascii_alphanumeric())
        && compact.chars().any(|c| c.is_ascii_digit());
    acceptable.then_some(compact)
}

impl QuoteRequest {
    fn check(&self) -> ApiResult<Option<String>> {
        let mut errors = FieldErrors::new();
        let lines = self
            .items
            .iter()
            .map(|item| (item.product_id, item.quantity));
        check_lines(&mut errors, "items", lines);
        check_text(
            &mut errors,
            "company_name",
            &self.company_name,
            MAX_COMPANY_CHARS,
            true,
        );
        if self.company_name.contains('\n') {
            add(&mut errors, "company_name", "must be one line");
        }
        let vat = self.vat_number.as_deref().map(normalized_vat);
        if vat == Some(None) {
            let message = "must be 4 to 20 letters and digits, e.g. FR40303265045";
            add(&mut errors, "vat_number", message);
        }
        check_notes(&mut errors, self.notes.as_deref());
        ensure_valid(errors, "the quote request is invalid")?;
        Ok(vat.flatten())
    }
}

/// The 4xx a refused quote step answers.
pub(crate) fn refused(err: QuoteError) -> ApiError {
    let detail = err.to_string();
    match err {
        QuoteError::ShopUnavailable => ApiError::Unprocessable {
            code: "shop_unavailable",
            detail,
        },
        QuoteError::ProductUnavailable(_) => ApiError::Unprocessable {
            code: "product_unavailable",
            detail,
        },
        QuoteError::MixedCurrencies => ApiError::Unprocessable {
            code: "mixed_currencies",
            detail,
        },
        QuoteError::TooLarge => ApiError::field("lines", detail),
        QuoteError::Store(err) => err.into(),
    }
}

/// 409 for a step the quote's status does not allow.
pub(crate) fn wrong_state(status: &str, step: &str) -> ApiError {
    ApiError::Conflict {
        code: "quote_state",
        detail: format!("a quote that is {status} cannot be {step}"),
    }
}

/// Asks a shop for a quote; its seller is notified.
#[utoipa::path(post, path = "/v1/quotes", tag = "quotes", request_body = QuoteRequest,
    security(("bearer" = [])), responses((status = 201, body = Quote),
    (status = 401, body = crate::error::Problem),
    (status = 403, description = "not a client account", body = crate::error::Problem),
    (status = 422, description = "validation_failed, shop_unavailable, product_unavailable, mixed_currencies",
        body = crate::error::Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    Client(caller): Client,
    body: DeferredJson<QuoteRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.read().await?;
    let vat_number = body.check()?;
    let items: Vec<Item> = body
        .items
        .iter()
        .map(|item| Item {
            product_id: item.product_id,
            quantity: item.quantity,
        })
        .collect();
    let mut tx = state.pool.begin().await?;
    let new = NewQuote {
        client_id: caller.id,
        shop_id: body.shop_id,
        company_name: body.company_name.trim(),
        vat_number: vat_number.as_deref(),
        notes: body.notes.as_deref(),
        items: &items,
    };
    let quote = quotes::request(&mut tx, new).await.map_err(refused)?;
    quotes::notify_seller(&mut *tx, quote.shop_owner_id, &quote.number, "requested").await?;
    tx.commit().await?;
    tracing::info!(quote_id = %quote.id, number = quote.number, "quote requested");
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header(("Location", format!("/v1/quotes/{}", quote.id)))
        .json(quote))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct QuoteQuery {
    /// requested, offered, accepted, rejected or expired.
    pub status: Option<String>,
    pub shop_id: Option<Uuid>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[utoipa::path(get, path = "/v1/quotes", tag = "quotes", params(QuoteQuery), security(("bearer" = [])), responses(
    (status = 200, description = "a page of quotes, newest first: {items, page, per_page, total, total_is_capped}"),
    (status = 401, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: AuthUser,
    query: web::Query<QuoteQuery>,
) -> ApiResult<web::Json<Page<Quote>>> {
    let query = query.into_inner();
    if let Some(status) = query.status.as_deref()
        && !quotes::STATUSES.contains(&status)
    {
        let message = format!(
            "must be one of {}, not `{status}`",
            quotes::STATUSES.join(", ")
        );
        return Err(ApiError::field("status", message));
    }
    let filter = QuoteFilter {
        scope: scope(&caller),
        status: query.status,
        shop_id: query.shop_id,
    };
    let page = page_of(query.page, query.per_page);
    Ok(web::Json(quotes::list(&state.pool, &filter, page).await?))
}

#[utoipa::path(get, path = "/v1/quotes/{id}", tag = "quotes", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Quote), (status = 401, body = crate::error::Problem),
    (status = 404, body = crate::error::Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<Quote>> {
    let mut db = state.pool.acquire().await?;
    quotes::find(&mut db, *id, scope(&caller))
        .await?
        .map(web::Json)
        .ok_or(ApiError::NotFound)
}
