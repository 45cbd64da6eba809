//! Streaming `multipart/form-data` uploads: file fields go straight to object storage (never
//! whole in memory) with a size limit that answers 413, and are hashed on the way so an
//! `Idempotency-Key` can recognise a replayed upload; small text fields are read with a cap.

use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::{HttpRequest, web};
use futures::StreamExt;
use sha2::{Digest, Sha256};

use comptoir_storage::{Storage, StorageError};

use crate::body_timeout::unreadable;
use crate::error::{ApiError, ApiResult};

/// Text fields (ids, flags) are tiny; anything longer is a mistake or an attack.
const MAX_TEXT_FIELD_BYTES: usize = 1024;
/// Bounds the work a request can ask for by sending many small fields.
const MAX_FIELDS: usize = 16;

/// A file field stored in object storage.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub key: String,
    pub size: u64,
    pub sha256: [u8; 32],
    /// The client's file name, for messages only: never used to build a storage key.
    pub file_name: Option<String>,
}

/// The fields of a multipart body, one at a time, with the body's field count capped.
pub struct Fields {
    multipart: Multipart,
    seen: usize,
}

impl Fields {
    pub fn new(request: &HttpRequest, payload: web::Payload) -> Self {
        Self {
            multipart: Multipart::new(request.headers(), payload),
            seen: 0,
        }
    }

    pub async fn next(&mut self) -> ApiResult<Option<Field>> {
        let Some(field) = self.multipart.next().await else {
            return Ok(None);
        };
        self.seen += 1;
        if self.seen > MAX_FIELDS {
            return Err(malformed(format!("more than {MAX_FIELDS} fields")));
        }
        field.map(Some).map_err(multipart_error)
    }
}

/// The field's name (`Content-Disposition: form-data; name=…`).
pub fn field_name(field: &Field) -> String {
    field.name().unwrap_or_default().to_owned()
}

/// Streams a file field into `key`; over `limit` bytes it is 413 and nothing is kept.
pub async fn store_file(
    storage: &Storage,
    field: Field,
    key: String,
    limit: u64,
) -> ApiResult<StoredFile> {
    let file_name = field
        .content_disposition()
        .and_then(|disposition| disposition.get_filename())
        .map(str::to_owned);
    let mut hasher = Sha256::new();
    let chunks = field.map(|chunk| {
        if let Ok(bytes) = &chunk {
            hasher.update(bytes);
        }
        chunk
    });
    let size = storage
        .put_stream(&key, chunks, limit)
        .await
        .map_err(|error| match error {
            StorageError::TooLarge { .. } => ApiError::PayloadTooLarge,
            StorageError::Source(reason) => malformed(reason),
            other => ApiError::internal(other),
        })?;
    Ok(StoredFile {
        key,
        size,
        sha256: hasher.finalize().into(),
        file_name,
    })
}

/// Reads a small text field as UTF-8, trimmed.
pub async fn read_text(mut field: Field) -> ApiResult<String> {
    let name = field_name(&field);
    let mut bytes = Vec::new();
    while let Some(chunk) = field.next().await {
        bytes.extend_from_slice(&chunk.map_err(multipart_error)?);
        if bytes.len() > MAX_TEXT_FIELD_BYTES {
            return Err(ApiError::field(
                &name,
                format!("must be at most {MAX_TEXT_FIELD_BYTES} bytes"),
            ));
        }
    }
    String::from_utf8(bytes)
        .map(|text| text.trim().to_owned())
        .map_err(|_| ApiError::field(&name, "must be UTF-8 text"))
}

fn multipart_error(error: MultipartError) -> ApiError {
    match error {
        MultipartError::ContentTypeMissing
        | MultipartError::ContentTypeParse
        | MultipartError::ContentTypeIncompatible => ApiError::UnsupportedMediaType,
        MultipartError::Payload(err) => unreadable(&err),
        other => malformed(other.to_string()),
    }
}

fn malformed(reason: String) -> ApiError {
    ApiError::Validation {
        detail: format!("the multipart body could not be read: {reason}"),
        errors: Default::default(),
    }
}
