//! /v1/products reads: the public catalogue and product pages.

use actix_web::http::header::ContentType;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use comptoir_domain::catalogue::{self, CatalogueFilter, Sort};
use comptoir_domain::products::{self, ProductView};
use comptoir_domain::shops;

use crate::auth::MaybeUser;
use crate::catalogue_cache::{Lookup, RequestKeys};
use crate::error::{ApiError, ApiResult};
use crate::routes::product_images::{ProductWithImages, with_images};
use crate::routes::users::page_of;
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CatalogueQuery {
    pub shop_id: Option<Uuid>,
    /// A category id; products of its sub-categories are included.
    pub category: Option<Uuid>,
    pub color: Option<String>,
    pub size: Option<String>,
    /// Minor units, inclusive.
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    /// Words to find in the name or description.
    pub q: Option<String>,
    /// `price`, `-price`, `newest` (default) or `popular`.
    #[param(value_type = Option<String>)]
    pub sort: Option<Sort>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

fn non_blank(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Published products of active shops. `total` counts matches up to 10 000; past that it reads
/// 10 000 with `total_is_capped: true`. Answers come from a Redis cache that every write the
/// catalogue shows retires at once (`X-Cache: hit` or `miss`); a query running past
/// `catalogue.statement_timeout_ms` is cancelled and answered 503 `query_timeout`.
#[utoipa::path(get, path = "/v1/products", tag = "catalogue", params(CatalogueQuery), responses(
    (status = 200, description = "a page of products with their ready images: {items, page, per_page, total, total_is_capped}",
        headers(("X-Cache" = String, description = "`hit` when served from the catalogue cache, else `miss`"))),
    (status = 422, body = crate::error::Problem),
    (status = 503, description = "`query_timeout`: the query ran past its time (Retry-After)", body = crate::error::Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<CatalogueQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    if let (Some(min), Some(max)) = (query.min_price, query.max_price)
        && min > max
    {
        return Err(ApiError::field("min_price", "must not exceed max_price"));
    }
    let filter = CatalogueFilter {
        shop_id: query.shop_id,
        category: query.category,
        color: non_blank(query.color),
        size: non_blank(query.size),
        min_price: query.min_price,
        max_price: query.max_price,
        q: non_blank(query.q),
    };
    let sort = query.sort.unwrap_or_default();
    let page = page_of(query.page, query.per_page);
    let keys = RequestKeys::new(&filter, sort, page);
    let (generation, total) = match state.catalogue.lookup(&keys).await {
        Lookup::Hit(body) => return Ok(json(body, "hit")),
        Lookup::Miss { generation, total } => (generation, total),
    };
    let timeout = state.settings.catalogue.statement_timeout_ms;
    let mut tx = catalogue::read_transaction(&state.pool, timeout).await?;
    let mut page = catalogue::list(&mut tx, &filter, sort, page, total).await?;
    tx.commit().await?;
    // Always the public view, whoever asks: the cached answer is served to everyone.
    let products = std::mem::take(&mut page.items)
        .into_iter()
        .map(|product| ProductView::from(product).public())
        .collect();
    let products = with_images(&state, products, false).await?;
    let total = page.total;
    let body = serde_json::to_vec(&page.with_items(products)).map_err(ApiError::internal)?;
    state.catalogue.store(generation, &keys, &body, total).await;
    Ok(json(body, "miss"))
}

fn json(body: Vec<u8>, cache: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .insert_header(("X-Cache", cache))
        .body(body)
}

/// A product page. Unpublished products and products of inactive shops are visible only to
/// the shop's owner and admins; deleted products to nobody. The owner and admins also see the
/// images still pending or rejected (with the reason).
#[utoipa::path(get, path = "/v1/products/{id}", tag = "catalogue", params(("id" = Uuid, Path)), security((), ("bearer" = [])), responses(
    (status = 200, body = ProductWithImages), (status = 404, body = crate::error::Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: MaybeUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<ProductWithImages>> {
    let product = products::find(&state.pool, *id)
        .await?
        .filter(|p| p.deleted_at.is_none())
        .ok_or(ApiError::NotFound)?;
    let shop = shops::find(&state.pool, product.shop_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let public = product.published && shop.status == "active";
    let manager = caller.is_admin() || caller.id() == Some(shop.owner_id);
    if !(public || manager) {
        return Err(ApiError::NotFound);
    }
    if public {
        state.views.record(product.id);
    }
    let view = ProductView::from(product);
    let view = if manager { view } else { view.public() };
    let mut products = with_images(&state, vec![view], manager).await?;
    products.pop().map(web::Json).ok_or(ApiError::NotFound)
}
