//! One streamed upload, always either finished or aborted: aborted when it fails, and also when
//! it is dropped half-way (the request carrying it was cancelled). Without that, S3 would keep
//! the unfinished multipart upload and its parts: invisible, but stored (and billed) until a
//! lifecycle rule removes them. The local backend removes its staging file on drop by itself.

use bytes::Bytes;
use futures::{Stream, StreamExt};
use object_store::{MultipartUpload, WriteMultipart};

use crate::{PART_BYTES, PARTS_IN_FLIGHT, StorageError, StorageResult};

pub(crate) struct Upload {
    /// `None` only once finished or aborted.
    writer: Option<WriteMultipart>,
    key: String,
}

impl Upload {
    pub(crate) fn new(upload: Box<dyn MultipartUpload>, key: &str) -> Self {
        Self {
            writer: Some(WriteMultipart::new_with_chunk_size(upload, PART_BYTES)),
            key: key.to_owned(),
        }
    }

    /// Copies `source` in, failing with [`StorageError::TooLarge`] past `limit` bytes.
    pub(crate) async fn copy_limited<S, E>(
        &mut self,
        mut source: S,
        limit: u64,
    ) -> StorageResult<u64>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let writer = self
            .writer
            .as_mut()
            .expect("an upload is written before it is finished or aborted");
        let mut size = 0_u64;
        while let Some(chunk) = source.next().await {
            let chunk = chunk.map_err(|error| StorageError::Source(error.to_string()))?;
            size += chunk.len() as u64;
            if size > limit {
                return Err(StorageError::TooLarge { limit });
            }
            writer.wait_for_capacity(PARTS_IN_FLIGHT).await?;
            writer.put(chunk);
        }
        Ok(size)
    }

    /// Makes the object visible (`WriteMultipart` aborts by itself when this fails).
    pub(crate) async fn finish(mut self) -> StorageResult<()> {
        if let Some(writer) = self.writer.take() {
            writer.finish().await?;
        }
        Ok(())
    }

    pub(crate) async fn abort(mut self) {
        if let Some(writer) = self.writer.take() {
            abort(writer, &self.key).await;
        }
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if let Some(writer) = self.writer.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let key = std::mem::take(&mut self.key);
            runtime.spawn(async move { abort(writer, &key).await });
        }
    }
}

async fn abort(writer: WriteMultipart, key: &str) {
    if let Err(error) = writer.abort().await {
        tracing::warn!(key, %error, "aborting an unfinished upload failed");
    }
}
