//! Settings of the image pipeline (`[images]`) and of the virus scanner (`[clamd]`).

use serde::Deserialize;

use super::ConfigError;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageSettings {
    /// Largest single image upload (and largest image taken from an import ZIP).
    pub max_upload_bytes: u64,
    pub max_width: u32,
    pub max_height: u32,
    /// Width × height cap, checked from the header before any pixel is decoded.
    pub max_pixels: u64,
    /// Most memory one decode may allocate (the decoder refuses beyond it).
    pub max_decode_bytes: u64,
    /// Widths of the variants, in pixels; never upscaled.
    pub variant_widths: Vec<u32>,
    /// 1–100.
    pub jpeg_quality: u8,
    /// 1–100 (lossy libwebp).
    pub webp_quality: u8,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClamdSettings {
    /// `host:port` of clamd's TCP socket.
    pub address: String,
    /// A scan (connect, send, verdict) taking longer is an outage: the job retries.
    pub timeout_secs: u64,
    /// clamd's `StreamMaxLength`: larger files cannot be scanned and are refused unscanned.
    pub max_stream_bytes: u64,
}

fn invalid(key: &'static str, reason: &str) -> Result<(), ConfigError> {
    Err(ConfigError::Invalid {
        key,
        reason: reason.to_owned(),
    })
}

pub(super) fn validate(images: &ImageSettings, clamd: &ClamdSettings) -> Result<(), ConfigError> {
    if images.max_upload_bytes == 0 || images.max_upload_bytes > clamd.max_stream_bytes {
        return invalid(
            "images.max_upload_bytes",
            "must be > 0 and at most clamd.max_stream_bytes (an upload clamd cannot scan is refused)",
        );
    }
    if images.max_width == 0
        || images.max_height == 0
        || images.max_pixels == 0
        || images.max_decode_bytes == 0
    {
        return invalid("images.max_pixels", "dimension and memory caps must be > 0");
    }
    if images.variant_widths.is_empty() || images.variant_widths.contains(&0) {
        return invalid("images.variant_widths", "needs at least one width, all > 0");
    }
    if images.variant_widths.iter().any(|w| *w > images.max_width) {
        return invalid("images.variant_widths", "must not exceed images.max_width");
    }
    for (key, quality) in [
        ("images.jpeg_quality", images.jpeg_quality),
        ("images.webp_quality", images.webp_quality),
    ] {
        if !(1..=100).contains(&quality) {
            return invalid(key, "must be between 1 and 100");
        }
    }
    if clamd.address.is_empty() || clamd.timeout_secs == 0 || clamd.max_stream_bytes == 0 {
        return invalid(
            "clamd.address",
            "address, timeout and stream limit are required",
        );
    }
    Ok(())
}
