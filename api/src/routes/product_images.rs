//! Product images: POST /v1/products/{id}/images takes one picture (multipart field `image`),
//! streamed to storage; the worker scans, resizes and then marks it `ready` or `rejected`.
//! Products are shown with their images' variant URLs (served by `media`).

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use comptoir_domain::new_id;
use comptoir_domain::product_images::{self, ProductImage, VariantFormat};
use comptoir_domain::products::ProductView;
use comptoir_jobs::images::ProcessImage;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::multipart::{self, Fields};
use crate::routes::media;
use crate::routes::products::{managed_product, seller_or_admin};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct VariantView {
    pub width: u32,
    pub height: u32,
    pub format: VariantFormat,
    /// Path of the file on this API (`/v1/media/…`), cacheable forever.
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RejectionView {
    /// `infected`, `scan_failed`, `unsupported_format`, `too_large`, `corrupt_image`,
    /// `duplicate`, `processing_failed`, `upload_missing`.
    pub code: String,
    pub detail: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImageView {
    pub id: Uuid,
    /// `pending`, `ready` or `rejected`.
    pub status: String,
    pub position: i32,
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// Largest first; each width in WebP then JPEG.
    pub variants: Vec<VariantView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection: Option<RejectionView>,
}

impl From<ProductImage> for ImageView {
    fn from(image: ProductImage) -> Self {
        let rejection = image.reason_code.map(|code| RejectionView {
            code,
            detail: image.reason.unwrap_or_default(),
        });
        Self {
            id: image.id,
            status: image.status,
            position: image.position,
            width: image.width,
            height: image.height,
            variants: image
                .variants
                .0
                .into_iter()
                .map(|v| VariantView {
                    width: v.width,
                    height: v.height,
                    format: v.format,
                    url: media::url_of(&v.key),
                })
                .collect(),
            rejection,
        }
    }
}

/// A product with its images: the ready ones for everybody, all (with their status and
/// rejection reason) for the shop's owner and admins.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductWithImages {
    #[serde(flatten)]
    pub product: ProductView,
    pub images: Vec<ImageView>,
}

/// Adds their images to products, with one query for the whole list.
pub async fn with_images(
    state: &AppState,
    products: Vec<ProductView>,
    all: bool,
) -> ApiResult<Vec<ProductWithImages>> {
    let ids: Vec<Uuid> = products.iter().map(|p| p.id).collect();
    let mut images: HashMap<Uuid, Vec<ImageView>> = HashMap::new();
    for image in product_images::of_products(&state.pool, &ids, all).await? {
        images
            .entry(image.product_id)
            .or_default()
            .push(image.into());
    }
    Ok(products
        .into_iter()
        .map(|product| ProductWithImages {
            images: images.remove(&product.id).unwrap_or_default(),
            product,
        })
        .collect())
}

#[utoipa::path(post, path = "/v1/products/{id}/images", tag = "catalogue", params(("id" = Uuid, Path)),
    request_body(content_type = "multipart/form-data", description = "one file field `image` (JPEG, PNG, WebP or GIF)"),
    security(("bearer" = [])), responses((status = 202, body = ImageView), (status = 404, body = crate::error::Problem),
    (status = 413, body = crate::error::Problem), (status = 415, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn upload(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<Uuid>,
    request: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let product_id = id.into_inner();
    seller_or_admin(&caller)?;
    // Checked before the upload (no transaction held while the body streams in) and again
    // when the image is recorded.
    let mut tx = state.pool.begin().await?;
    managed_product(&mut tx, &caller, product_id).await?;
    tx.rollback().await?;

    let image_id = new_id();
    let key = format!("uploads/images/{image_id}");
    let mut fields = Fields::new(&request, payload);
    let mut stored = None;
    while let Some(field) = fields.next().await? {
        match multipart::field_name(&field).as_str() {
            "image" if stored.is_none() => {
                let limit = state.settings.images.max_upload_bytes;
                stored =
                    Some(multipart::store_file(&state.storage, field, key.clone(), limit).await?);
            }
            "image" => return Err(ApiError::field("image", "send one image per request")),
            other => return Err(ApiError::field(other, "unknown field; send `image` only")),
        }
    }
    let Some(stored) = stored else {
        return Err(ApiError::field("image", "is required"));
    };
    let recorded = record(&state, &caller, product_id, image_id, &stored.key).await;
    if recorded.is_err()
        && let Err(error) = state.storage.delete(&stored.key).await
    {
        tracing::warn!(key = stored.key, %error, "an unrecorded upload could not be deleted");
    }
    let image = recorded?;
    Ok(HttpResponse::Accepted()
        .insert_header((
            "Location",
            format!("/v1/products/{product_id}/images/{image_id}"),
        ))
        .json(ImageView::from(image)))
}

/// The pending row and its job, in one transaction.
async fn record(
    state: &AppState,
    caller: &AuthUser,
    product_id: Uuid,
    image_id: Uuid,
    key: &str,
) -> ApiResult<ProductImage> {
    let mut tx = state.pool.begin().await?;
    managed_product(&mut tx, caller, product_id).await?;
    let image = product_images::insert_pending(&mut *tx, image_id, product_id, key).await?;
    state
        .producer
        .enqueue(&mut tx, &ProcessImage { image_id })
        .await?;
    state.producer.commit(tx).await?;
    Ok(image)
}

/// One image of a product, with its processing status (owner and admins).
#[utoipa::path(get, path = "/v1/products/{id}/images/{image_id}", tag = "catalogue",
    params(("id" = Uuid, Path), ("image_id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = ImageView), (status = 404, body = crate::error::Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: AuthUser,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<web::Json<ImageView>> {
    let (product_id, image_id) = path.into_inner();
    seller_or_admin(&caller)?;
    let mut tx = state.pool.begin().await?;
    managed_product(&mut tx, &caller, product_id).await?;
    let image = product_images::find(&mut *tx, image_id)
        .await?
        .filter(|image| image.product_id == product_id)
        .ok_or(ApiError::NotFound)?;
    tx.rollback().await?;
    Ok(web::Json(image.into()))
}
