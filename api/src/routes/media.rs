//! GET /v1/media/{key}: image variants from object storage. Their keys are content-addressed
//! (`images/<sha256>/<width>.<ext>`), so a URL always means the same bytes: cached forever.
//! Only keys of that exact shape are served; uploads, imports and reports never are.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use futures::TryStreamExt;

use comptoir_domain::product_images::VariantFormat;
use comptoir_storage::StorageError;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

const PREFIX: &str = "/v1/media/";

/// The URL path of a stored variant.
pub fn url_of(key: &str) -> String {
    format!("{PREFIX}{key}")
}

/// The format of a variant key, if `key` is one: `images/<64 hex>/<digits>.<webp|jpg>`.
fn variant_format(key: &str) -> Option<VariantFormat> {
    let mut parts = key.split('/');
    let (Some("images"), Some(digest), Some(file), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let (width, extension) = file.split_once('.')?;
    let hex = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let digits = |s: &str| !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit());
    (digest.len() == 64 && hex(digest) && digits(width))
        .then(|| VariantFormat::from_extension(extension))
        .flatten()
}

#[utoipa::path(get, path = "/v1/media/{key}", tag = "catalogue", params(("key" = String, Path, description = "e.g. images/<sha256>/480.webp")),
    responses((status = 200, description = "the image, `Cache-Control: public, max-age=31536000, immutable`"),
    (status = 404, body = crate::error::Problem)))]
pub async fn get(state: web::Data<AppState>, key: web::Path<String>) -> ApiResult<HttpResponse> {
    let format = variant_format(&key).ok_or(ApiError::NotFound)?;
    let download = match state.storage.get(&key).await {
        Ok(download) => download,
        Err(StorageError::NotFound(_)) => return Err(ApiError::NotFound),
        Err(error) => return Err(ApiError::internal(error)),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, format.content_type()))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .no_chunking(download.size)
        .streaming(download.bytes.map_err(std::io::Error::other)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_variant_keys_are_served() {
        let digest = "ab".repeat(32);
        assert_eq!(
            variant_format(&format!("images/{digest}/480.webp")),
            Some(VariantFormat::Webp)
        );
        assert_eq!(
            variant_format(&format!("images/{digest}/160.jpg")),
            Some(VariantFormat::Jpeg)
        );
        for key in [
            format!("uploads/images/{digest}"),
            format!("images/{digest}/../../uploads/x.jpg"),
            format!("images/{digest}/480.png"),
            format!("images/{}/480.jpg", "AB".repeat(32)),
            format!("images/{digest}/x.jpg"),
            format!("/images/{digest}/480.jpg"),
            format!("images/{digest}/480.jpg/more"),
            "images/short/480.jpg".to_owned(),
        ] {
            assert_eq!(variant_format(&key), None, "{key}");
        }
    }
}
