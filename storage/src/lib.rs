//! Object storage for everything that is a file rather than a row: uploads (import CSVs and
//! ZIPs, product images), what the workers produce (image variants, reports, shop snapshots).
//!
//! One [`Storage`] wraps `object_store`, so the same code writes to a local directory (the
//! default, and what tests use) or to an S3-compatible bucket in production. Writes are streamed
//! as multipart uploads and become visible only when complete: a reader never sees half a file,
//! and a failed or cancelled writer leaves nothing behind (the `upload` module).

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use tokio::io::AsyncWriteExt;
use tokio_util::io::ReaderStream;

use comptoir_domain::config::{S3Settings, StorageBackend, StorageSettings};

mod upload;
use upload::Upload;

/// Chunk size of streamed uploads: S3's minimum part size, and small enough to keep memory flat.
const PART_BYTES: usize = 5 * 1024 * 1024;
/// Parts in flight at once per upload.
const PARTS_IN_FLIGHT: usize = 2;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("object {0} does not exist")]
    NotFound(String),
    #[error("upload is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("invalid object key {0:?}")]
    InvalidKey(String),
    /// The source stream of an upload failed (e.g. the client went away).
    #[error("upload source failed: {0}")]
    Source(String),
    #[error(transparent)]
    Backend(#[from] object_store::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

pub type StorageResult<T> = Result<T, StorageError>;

/// A stored object being read: its size and its bytes as a stream.
pub struct Download {
    pub size: u64,
    pub bytes: BoxStream<'static, StorageResult<Bytes>>,
}

#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Storage({})", self.store)
    }
}

impl Storage {
    pub fn from_settings(settings: &StorageSettings) -> StorageResult<Self> {
        let store: Arc<dyn ObjectStore> = match settings.backend {
            StorageBackend::Local => {
                std::fs::create_dir_all(&settings.root)?;
                Arc::new(LocalFileSystem::new_with_prefix(&settings.root)?)
            }
            StorageBackend::S3 => Arc::new(s3_builder(&settings.s3).build()?),
        };
        Ok(Self { store })
    }

    /// Stores a small object that is already in memory.
    pub async fn put_bytes(&self, key: &str, bytes: impl Into<Bytes>) -> StorageResult<()> {
        self.store
            .put(&parse_key(key)?, PutPayload::from(bytes.into()))
            .await?;
        Ok(())
    }

    /// Streams `source` into `key`, refusing it (and storing nothing) past `limit` bytes.
    /// Returns the number of bytes stored.
    pub async fn put_stream<S, E>(&self, key: &str, source: S, limit: u64) -> StorageResult<u64>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let mut upload = Upload::new(self.store.put_multipart(&parse_key(key)?).await?, key);
        match upload.copy_limited(source, limit).await {
            Ok(size) => {
                upload.finish().await?;
                Ok(size)
            }
            Err(error) => {
                upload.abort().await;
                Err(error)
            }
        }
    }

    /// Streams a local file into `key` (workers build files on local disk first).
    pub async fn put_file(&self, key: &str, path: &Path) -> StorageResult<u64> {
        let file = tokio::fs::File::open(path).await?;
        let chunks = ReaderStream::with_capacity(file, 64 * 1024);
        self.put_stream(key, chunks, u64::MAX).await
    }

    pub async fn get(&self, key: &str) -> StorageResult<Download> {
        let result = self
            .store
            .get(&parse_key(key)?)
            .await
            .map_err(|error| not_found_or(key, error))?;
        let size = result.meta.size;
        let bytes = result.into_stream().map_err(StorageError::from).boxed();
        Ok(Download { size, bytes })
    }

    /// Reads a whole object into memory; for objects known to be small (one image).
    pub async fn get_bytes(&self, key: &str) -> StorageResult<Bytes> {
        let result = self
            .store
            .get(&parse_key(key)?)
            .await
            .map_err(|error| not_found_or(key, error))?;
        Ok(result.bytes().await?)
    }

    /// Copies an object to a local file, streaming; for formats that need random access (ZIP).
    pub async fn download_to(&self, key: &str, path: &Path) -> StorageResult<u64> {
        let mut download = self.get(key).await?;
        let mut file = tokio::fs::File::create(path).await?;
        while let Some(chunk) = download.bytes.try_next().await? {
            file.write_all(&chunk).await?;
        }
        file.flush().await?;
        Ok(download.size)
    }

    /// Deletes an object; deleting one that does not exist is not an error.
    pub async fn delete(&self, key: &str) -> StorageResult<()> {
        match self.store.delete(&parse_key(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// Deletes every object under `prefix` (a "directory"), returning how many there were.
    pub async fn delete_prefix(&self, prefix: &str) -> StorageResult<u64> {
        let prefix = parse_key(prefix)?;
        let keys = self
            .store
            .list(Some(&prefix))
            .map_ok(|meta| meta.location)
            .boxed();
        let deleted: Vec<Key> = self.store.delete_stream(keys).try_collect().await?;
        Ok(deleted.len() as u64)
    }
}

/// The bucket's client: `[storage.s3]` over the usual `AWS_*` environment, which supplies what
/// the settings leave empty (credentials, a session token, a web identity or container role,
/// `AWS_ENDPOINT`...). Requests are path-style (`{endpoint}/{bucket}/{key}`), which AWS and the
/// S3-compatible servers all accept, unless `AWS_VIRTUAL_HOSTED_STYLE_REQUEST=true`.
fn s3_builder(s3: &S3Settings) -> AmazonS3Builder {
    let mut builder = AmazonS3Builder::from_env()
        .with_bucket_name(&s3.bucket)
        .with_allow_http(s3.allow_http);
    if !s3.region.is_empty() {
        builder = builder.with_region(&s3.region);
    }
    if !s3.endpoint.is_empty() {
        builder = builder.with_endpoint(&s3.endpoint);
    }
    if !s3.access_key_id.is_empty() {
        builder = builder
            .with_access_key_id(&s3.access_key_id)
            .with_secret_access_key(s3.secret_access_key.expose());
    }
    builder
}

/// Keys are `/`-separated relative paths built by our own code; anything that could climb out
/// of the store (`..`, empty segments, absolute paths) is refused rather than normalised.
fn parse_key(key: &str) -> StorageResult<Key> {
    let invalid = || StorageError::InvalidKey(key.to_owned());
    if key.is_empty()
        || key.starts_with('/')
        || key
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
    {
        return Err(invalid());
    }
    Key::parse(key).map_err(|_| invalid())
}

fn not_found_or(key: &str, error: object_store::Error) -> StorageError {
    match error {
        object_store::Error::NotFound { .. } => StorageError::NotFound(key.to_owned()),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests;
