//! Variants: the upright image resized to the configured widths (aspect kept, never upscaled)
//! and encoded as lossy WebP (libwebp) and JPEG. Pure CPU work: callers run it on a blocking
//! thread.
//!
//! Widths above the image's own are skipped; an image narrower than every configured width gets
//! one variant at its own width, so every ready image has at least one.

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ExtendedColorType, RgbImage, RgbaImage};

use comptoir_domain::config::ImageSettings;
use comptoir_domain::product_images::VariantFormat;

use super::Rejection;

#[derive(Debug, Clone)]
pub struct VariantSpec {
    pub widths: Vec<u32>,
    pub jpeg_quality: u8,
    pub webp_quality: u8,
}

impl VariantSpec {
    pub fn new(settings: &ImageSettings) -> Self {
        Self {
            widths: settings.variant_widths.clone(),
            jpeg_quality: settings.jpeg_quality,
            webp_quality: settings.webp_quality,
        }
    }
}

/// One encoded variant, not yet stored.
pub struct Encoded {
    pub width: u32,
    pub height: u32,
    pub format: VariantFormat,
    pub bytes: Vec<u8>,
}

/// The widths made for an image `source_width` wide, largest first.
pub fn target_widths(source_width: u32, widths: &[u32]) -> Vec<u32> {
    let mut targets: Vec<u32> = widths
        .iter()
        .copied()
        .filter(|w| *w <= source_width)
        .collect();
    if targets.is_empty() {
        targets.push(source_width);
    }
    targets.sort_unstable_by(|a, b| b.cmp(a));
    targets.dedup();
    targets
}

/// Every variant of `image` in both formats, largest first.
pub fn render(image: DynamicImage, spec: &VariantSpec) -> Result<Vec<Encoded>, Rejection> {
    let (source_width, source_height) = (image.width(), image.height());
    // Two pixel layouts only: RGBA when there is transparency (kept in WebP), RGB otherwise.
    let mut current = if image.color().has_alpha() {
        DynamicImage::ImageRgba8(image.into_rgba8())
    } else {
        DynamicImage::ImageRgb8(image.into_rgb8())
    };
    let mut resizer = Resizer::new();
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom));
    let mut encoded = Vec::new();
    for width in target_widths(source_width, &spec.widths) {
        let height = scaled_height(source_width, source_height, width);
        if (width, height) != (current.width(), current.height()) {
            let mut resized = DynamicImage::new(width, height, current.color());
            // Each smaller variant is resized from the previous one: far fewer pixels to read.
            resizer
                .resize(&current, &mut resized, &options)
                .map_err(|error| failed(&error.to_string()))?;
            current = resized;
        }
        encoded.push(Encoded {
            width,
            height,
            format: VariantFormat::Webp,
            bytes: webp(&current, spec.webp_quality)?,
        });
        encoded.push(Encoded {
            width,
            height,
            format: VariantFormat::Jpeg,
            bytes: jpeg(&current, spec.jpeg_quality)?,
        });
    }
    Ok(encoded)
}

fn scaled_height(source_width: u32, source_height: u32, width: u32) -> u32 {
    let height = (u64::from(source_height) * u64::from(width) + u64::from(source_width) / 2)
        / u64::from(source_width);
    u32::try_from(height.max(1)).unwrap_or(u32::MAX)
}

fn webp(image: &DynamicImage, quality: u8) -> Result<Vec<u8>, Rejection> {
    let (width, height) = (image.width(), image.height());
    let encoder = match image {
        DynamicImage::ImageRgba8(pixels) => webp::Encoder::from_rgba(pixels, width, height),
        other => webp::Encoder::from_rgb(other.as_bytes(), width, height),
    };
    encoder
        .encode_simple(false, f32::from(quality))
        .map(|memory| memory.to_vec())
        .map_err(|error| failed(&format!("WebP encoding: {error:?}")))
}

/// JPEG has no transparency: transparent pixels are laid on white.
fn jpeg(image: &DynamicImage, quality: u8) -> Result<Vec<u8>, Rejection> {
    let flattened;
    let rgb: &RgbImage = match image {
        DynamicImage::ImageRgb8(pixels) => pixels,
        other => {
            flattened = on_white(&other.to_rgba8());
            &flattened
        }
    };
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode(rgb, rgb.width(), rgb.height(), ExtendedColorType::Rgb8)
        .map_err(|error| failed(&format!("JPEG encoding: {error}")))?;
    Ok(bytes)
}

fn on_white(rgba: &RgbaImage) -> RgbImage {
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let blend =
            |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        image::Rgb([blend(r), blend(g), blend(b)])
    })
}

fn failed(detail: &str) -> Rejection {
    Rejection::new("processing_failed", detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_above_the_image_are_skipped_and_a_narrow_image_keeps_its_own() {
        let widths = [160, 480, 1080];
        assert_eq!(target_widths(4000, &widths), [1080, 480, 160]);
        assert_eq!(target_widths(480, &widths), [480, 160]);
        assert_eq!(target_widths(300, &widths), [160]);
        assert_eq!(target_widths(100, &widths), [100]);
    }

    #[test]
    fn the_aspect_ratio_is_kept() {
        assert_eq!(scaled_height(4000, 3000, 1080), 810);
        assert_eq!(scaled_height(3000, 4000, 160), 213);
        assert_eq!(scaled_height(10_000, 1, 160), 1);
    }
}
