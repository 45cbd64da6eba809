//! Decoding untrusted image bytes: the format is sniffed from the bytes (never the file name),
//! the dimensions are read from the header and checked before any pixel is decoded, and the
//! decoder itself runs under an allocation cap, so a decompression bomb is refused cheaply.
//! EXIF orientation is applied to the pixels (the variants are re-encoded without metadata).

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits};

use comptoir_domain::config::ImageSettings;

use super::Rejection;

const ACCEPTED: [ImageFormat; 4] = [
    ImageFormat::Jpeg,
    ImageFormat::Png,
    ImageFormat::WebP,
    ImageFormat::Gif,
];

#[derive(Debug, Clone, Copy)]
pub struct DecodeLimits {
    pub max_width: u32,
    pub max_height: u32,
    pub max_pixels: u64,
    pub max_alloc: u64,
}

impl DecodeLimits {
    pub fn new(settings: &ImageSettings) -> Self {
        Self {
            max_width: settings.max_width,
            max_height: settings.max_height,
            max_pixels: settings.max_pixels,
            max_alloc: settings.max_decode_bytes,
        }
    }
}

/// The image, upright. Animated GIF/WebP give their first frame.
pub fn decode(bytes: &[u8], limits: &DecodeLimits) -> Result<DynamicImage, Rejection> {
    let format = image::guess_format(bytes)
        .ok()
        .filter(|format| ACCEPTED.contains(format))
        .ok_or_else(|| {
            Rejection::new(
                "unsupported_format",
                "the file is not a JPEG, PNG, WebP or GIF image",
            )
        })?;
    if format == ImageFormat::Jpeg && !has_end_marker(bytes) {
        // The JPEG decoder pads a cut-off file with grey rather than failing.
        return Err(corrupt("the JPEG data is truncated"));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut caps = Limits::default();
    caps.max_image_width = Some(limits.max_width);
    caps.max_image_height = Some(limits.max_height);
    caps.max_alloc = Some(limits.max_alloc);
    reader.limits(caps);
    let mut decoder = reader.into_decoder().map_err(rejection)?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(corrupt("the image has no pixels"));
    }
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(too_large(width, height, limits));
    }
    let orientation = decoder.orientation().map_err(rejection)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(rejection)?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// A complete JPEG ends with EOI (`FF D9`), possibly followed by a little padding.
fn has_end_marker(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(64)..];
    tail.windows(2).any(|pair| pair == [0xFF, 0xD9])
}

fn too_large(width: u32, height: u32, limits: &DecodeLimits) -> Rejection {
    Rejection::new(
        "too_large",
        format!(
            "the image is {width}x{height} pixels; at most {}x{} and {} pixels are accepted",
            limits.max_width, limits.max_height, limits.max_pixels
        ),
    )
}

fn corrupt(detail: &str) -> Rejection {
    Rejection::new("corrupt_image", detail)
}

fn rejection(error: ImageError) -> Rejection {
    match error {
        ImageError::Limits(error) => Rejection::new(
            "too_large",
            format!("the image exceeds the decoding limits: {error}"),
        ),
        ImageError::Unsupported(error) => Rejection::new("unsupported_format", error.to_string()),
        other => corrupt(&format!("the image cannot be decoded: {other}")),
    }
}
