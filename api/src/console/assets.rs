//! The console's CSS and JavaScript, embedded in the binary. Their URLs carry a hash of their
//! content, so a browser may keep them for a year and still never run a stale copy.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use sha2::{Digest, Sha256};

use crate::error::ApiError;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
    version: String,
}

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    [
        (
            "console.css",
            "text/css; charset=utf-8",
            include_str!("static/console.css"),
        ),
        (
            "console.js",
            "text/javascript; charset=utf-8",
            include_str!("static/console.js"),
        ),
    ]
    .into_iter()
    .map(|(name, content_type, body)| Asset {
        name,
        content_type,
        body,
        version: hex::encode(&Sha256::digest(body.as_bytes())[..6]),
    })
    .collect()
});

/// The versioned URL of asset `name` (templates call it as `asset("console.css")`).
pub fn url(name: &str) -> String {
    let version = ASSETS
        .iter()
        .find(|asset| asset.name == name)
        .map_or("missing", |asset| asset.version.as_str());
    format!("/admin/static/{name}?v={version}")
}

/// GET /admin/static/{name}: public, the one part of /admin/ that needs no session.
pub async fn serve(name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let asset = ASSETS
        .iter()
        .find(|asset| asset.name == name.as_str())
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::ETAG, format!("\"{}\"", asset.version)))
        .body(asset.body))
}
