//! Product images: a `pending` row per single upload (the worker marks it `ready` or
//! `rejected`), and `ready` rows recorded directly by the bulk import. A ready image is
//! identified by its content: one product holds a given picture once (product_id, sha256).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::{StoreError, StoreResult};

/// The encodings every variant is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum VariantFormat {
    Webp,
    Jpeg,
}

impl VariantFormat {
    pub const ALL: [VariantFormat; 2] = [VariantFormat::Webp, VariantFormat::Jpeg];

    pub fn extension(self) -> &'static str {
        match self {
            VariantFormat::Webp => "webp",
            VariantFormat::Jpeg => "jpg",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            VariantFormat::Webp => "image/webp",
            VariantFormat::Jpeg => "image/jpeg",
        }
    }

    pub fn from_extension(extension: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.extension() == extension)
    }
}

/// One resized encoding of an image, stored in object storage under `key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    pub width: u32,
    pub height: u32,
    pub format: VariantFormat,
    pub key: String,
}

/// An image scanned, decoded and resized, its variants already in storage; what a `ready`
/// row records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedImage {
    /// Of the original bytes; names the variants' storage keys.
    pub sha256: [u8; 32],
    /// Of the original once oriented.
    pub width: u32,
    pub height: u32,
    pub variants: Vec<Variant>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProductImage {
    pub id: Uuid,
    pub product_id: Uuid,
    /// `pending`, `ready` or `rejected`.
    pub status: String,
    /// Where the uploaded original was (single uploads), or what it came from (imports).
    pub source_key: String,
    pub sha256: Option<Vec<u8>>,
    pub position: i32,
    pub variants: Json<Vec<Variant>>,
    pub reason_code: Option<String>,
    pub reason: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

macro_rules! image_columns {
    () => {
        "id, product_id, status, source_key, sha256, position, variants, reason_code, reason, \
         width, height, created_at, updated_at"
    };
}

fn dimension(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// A pending image, placed after the product's existing ones; the worker processes it.
pub async fn insert_pending(
    db: impl PgExecutor<'_>,
    id: Uuid,
    product_id: Uuid,
    source_key: &str,
) -> StoreResult<ProductImage> {
    Ok(sqlx::query_as(concat!(
        "INSERT INTO product_images (id, product_id, status, source_key, position) \
         SELECT $1, $2, 'pending', $3, COALESCE(max(position) + 1, 0) \
         FROM product_images WHERE product_id = $2 RETURNING ",
        image_columns!()
    ))
    .bind(id)
    .bind(product_id)
    .bind(source_key)
    .fetch_one(db)
    .await?)
}

pub async fn find(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<Option<ProductImage>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        image_columns!(),
        " FROM product_images WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// Marks a pending image ready; false if it was not pending (already processed).
/// `StoreError::Conflict` when the product already holds this picture.
pub async fn mark_ready(
    db: impl PgExecutor<'_>,
    id: Uuid,
    image: &PreparedImage,
) -> StoreResult<bool> {
    let updated = sqlx::query(
        "UPDATE product_images SET status = 'ready', sha256 = $2, width = $3, height = $4, \
           variants = $5, updated_at = now() WHERE id = $1 AND status = 'pending'",
    )
    .bind(id)
    .bind(image.sha256.as_slice())
    .bind(dimension(image.width))
    .bind(dimension(image.height))
    .bind(Json(&image.variants))
    .execute(db)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(updated.rows_affected() == 1)
}

/// Marks a pending image rejected with a stable `code` and a readable `detail`.
pub async fn mark_rejected(
    db: impl PgExecutor<'_>,
    id: Uuid,
    code: &str,
    detail: &str,
) -> StoreResult<bool> {
    let updated = sqlx::query(
        "UPDATE product_images SET status = 'rejected', reason_code = $2, reason = $3, \
           updated_at = now() WHERE id = $1 AND status = 'pending'",
    )
    .bind(id)
    .bind(code)
    .bind(detail)
    .execute(db)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Records a prepared image as a `ready` image of the product at `position`, in the caller's
/// transaction (the bulk import writes it with its product batch). Idempotent: attaching the
/// same picture again (a re-run) updates the existing row and returns its id.
pub async fn attach(
    tx: &mut PgConnection,
    product_id: Uuid,
    position: i32,
    source_key: &str,
    image: &PreparedImage,
) -> StoreResult<Uuid> {
    Ok(sqlx::query_scalar(
        "INSERT INTO product_images (id, product_id, status, source_key, sha256, position, \
           variants, width, height) VALUES ($1, $2, 'ready', $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (product_id, sha256) DO UPDATE SET position = EXCLUDED.position, \
           variants = EXCLUDED.variants, width = EXCLUDED.width, height = EXCLUDED.height, \
           status = 'ready', reason_code = NULL, reason = NULL, updated_at = now() \
         RETURNING id",
    )
    .bind(crate::new_id())
    .bind(product_id)
    .bind(source_key)
    .bind(image.sha256.as_slice())
    .bind(position)
    .bind(Json(&image.variants))
    .bind(dimension(image.width))
    .bind(dimension(image.height))
    .fetch_one(tx)
    .await?)
}

/// The images of these products in display order; only the `ready` ones unless `all`.
pub async fn of_products(
    db: impl PgExecutor<'_>,
    product_ids: &[Uuid],
    all: bool,
) -> StoreResult<Vec<ProductImage>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        image_columns!(),
        " FROM product_images WHERE product_id = ANY($1) AND ($2 OR status = 'ready') \
         ORDER BY product_id, position, created_at"
    ))
    .bind(product_ids)
    .bind(all)
    .fetch_all(db)
    .await?)
}
