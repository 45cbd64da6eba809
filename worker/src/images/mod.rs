//! The image pipeline, shared by single uploads (the `images.process.v1` job) and the bulk
//! import. Two phases, so that an importer can record images in its own transaction:
//! [`ImagePipeline::prepare`] scans, decodes and writes the variants to storage (no database),
//! then `comptoir_domain::product_images::attach` (or `mark_ready`) records them.
//!
//! Variants live under content-addressed keys, `images/<sha256 of the original>/<width>.<ext>`:
//! a re-run after a crash rewrites the same objects, and one picture is stored once however
//! many products use it. Infected or invalid files are never written.

mod decode;
mod job;
pub mod scan;
mod variants;

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use sha2::{Digest, Sha256};

use comptoir_domain::config::{ClamdSettings, ImageSettings};
use comptoir_storage::Storage;

use crate::error::{JobError, ResultExt};

pub use comptoir_domain::product_images::{PreparedImage, Variant, VariantFormat};
pub use decode::DecodeLimits;
pub use job::ImageProcessor;
pub use scan::{Scanner, Verdict};
pub use variants::{VariantSpec, target_widths};

/// A permanent refusal of an image, with a stable code: `infected`, `scan_failed`,
/// `unsupported_format`, `too_large`, `corrupt_image`, `processing_failed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub code: &'static str,
    pub detail: String,
}

impl Rejection {
    pub fn new(code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)
    }
}

#[derive(Debug, Clone)]
pub struct ImagePipeline {
    scanner: Scanner,
    storage: Storage,
    limits: DecodeLimits,
    spec: Arc<VariantSpec>,
    max_bytes: u64,
}

impl ImagePipeline {
    pub fn new(images: &ImageSettings, clamd: &ClamdSettings, storage: Storage) -> Self {
        Self {
            scanner: Scanner::new(clamd),
            storage,
            limits: DecodeLimits::new(images),
            spec: Arc::new(VariantSpec::new(images)),
            max_bytes: images.max_upload_bytes,
        }
    }

    /// The storage key of one variant of the picture whose original has this digest.
    pub fn variant_key(sha256: &[u8; 32], width: u32, format: VariantFormat) -> String {
        format!(
            "images/{}/{width}.{}",
            hex::encode(sha256),
            format.extension()
        )
    }

    /// Scans, decodes (within the caps, upright) and writes the variants of one image.
    /// `Ok(Err(_))` is a permanent refusal (nothing stored); `Err(_)` is transient (clamd or
    /// storage unavailable): retry later.
    pub async fn prepare(
        &self,
        bytes: Bytes,
    ) -> Result<Result<PreparedImage, Rejection>, JobError> {
        if bytes.len() as u64 > self.max_bytes {
            return Ok(Err(Rejection::new(
                "too_large",
                format!("the file is larger than {} bytes", self.max_bytes),
            )));
        }
        match self.scanner.scan(&bytes).await? {
            Verdict::Clean => {}
            Verdict::Infected(signature) => {
                return Ok(Err(Rejection::new(
                    "infected",
                    format!("the file contains {signature}"),
                )));
            }
            Verdict::Error(reason) => {
                return Ok(Err(Rejection::new(
                    "scan_failed",
                    format!("the virus scanner could not scan the file: {reason}"),
                )));
            }
        }
        let sha256: [u8; 32] = Sha256::digest(&bytes).into();
        let (limits, spec) = (self.limits, self.spec.clone());
        let rendered = tokio::task::spawn_blocking(move || {
            let image = decode::decode(&bytes, &limits)?;
            let size = (image.width(), image.height());
            variants::render(image, &spec).map(|encoded| (size, encoded))
        })
        .await;
        let ((width, height), encoded) = match rendered {
            Ok(Ok(rendered)) => rendered,
            Ok(Err(rejection)) => return Ok(Err(rejection)),
            // A decoder that panics on hostile input refuses the file; it does not kill the job.
            Err(error) if error.is_panic() => {
                return Ok(Err(Rejection::new(
                    "corrupt_image",
                    "the image cannot be decoded",
                )));
            }
            Err(error) => return Err(JobError::Transient(error.into())),
        };
        let mut variants = Vec::with_capacity(encoded.len());
        for variant in encoded {
            let key = Self::variant_key(&sha256, variant.width, variant.format);
            self.storage
                .put_bytes(&key, variant.bytes)
                .await
                .transient()?;
            variants.push(Variant {
                width: variant.width,
                height: variant.height,
                format: variant.format,
                key,
            });
        }
        Ok(Ok(PreparedImage {
            sha256,
            width,
            height,
            variants,
        }))
    }
}
