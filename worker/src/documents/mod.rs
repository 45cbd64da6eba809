//! Shipping documents (`documents.render.v1`, on the reports queue): an order's packing slip or
//! delivery note rendered to PDF on a blocking thread and stored under one key per order and
//! kind. A document already rendered is left alone, and a re-run after a crash rewrites the same
//! key, so however often the job runs the order has one document of each kind.

mod layout;

use chrono::Utc;
use uuid::Uuid;

use comptoir_domain::PgPool;
use comptoir_domain::order_documents::{self, DocumentKind};
use comptoir_jobs::documents::RenderOrderDocument;
use comptoir_storage::Storage;

use crate::error::{JobError, JobResult, ResultExt, record_final_failure};
use crate::pdf::FontFiles;
use layout::Printing;

pub use layout::address_lines;

pub struct DocumentRenderer {
    pub pool: PgPool,
    pub storage: Storage,
    pub fonts: FontFiles,
}

fn permanent(reason: String) -> JobError {
    JobError::Permanent(anyhow::anyhow!(reason))
}

impl DocumentRenderer {
    /// Runs the job; a permanent failure, or the last attempt's, is recorded on the document.
    pub async fn run(&self, job: &RenderOrderDocument, last_attempt: bool) -> JobResult {
        let result = self.render(job.document_id).await.map(|_| ());
        record_final_failure(result, last_attempt, async |reason| {
            order_documents::fail(&self.pool, job.document_id, &reason).await
        })
        .await
    }

    /// Renders and stores the document; `false` when there was nothing to do (it is gone, or
    /// already rendered).
    pub async fn render(&self, document_id: Uuid) -> Result<bool, JobError> {
        let Some(document) = order_documents::find(&self.pool, document_id)
            .await
            .transient()?
        else {
            tracing::info!(%document_id, "order document gone");
            return Ok(false);
        };
        if document.status == "succeeded" {
            tracing::info!(%document_id, "order document already rendered");
            return Ok(false);
        }
        let kind = DocumentKind::parse(&document.kind)
            .ok_or_else(|| permanent(format!("unknown document kind {}", document.kind)))?;
        let mut db = self.pool.acquire().await.transient()?;
        let (sheet, lines) = order_documents::sheet(&mut db, document.order_id)
            .await
            .transient()?
            .ok_or_else(|| permanent(format!("order {} is gone", document.order_id)))?;
        drop(db);
        let local = tempfile::NamedTempFile::new().transient()?;
        let (path, fonts) = (local.path().to_owned(), self.fonts.clone());
        let printing = Printing {
            kind,
            printed_at: Utc::now(),
        };
        tokio::task::spawn_blocking(move || {
            layout::render(&sheet, &lines, &printing, &fonts, &path)
        })
        .await
        .map_err(|err| JobError::Transient(anyhow::anyhow!("the PDF writer panicked: {err}")))?
        .map_err(JobError::of_file_writer)?;
        let key = kind.storage_key(document.order_id);
        let size = self
            .storage
            .put_file(&key, local.path())
            .await
            .transient()?;
        let size = i64::try_from(size).unwrap_or(i64::MAX);
        let recorded = order_documents::succeed(&self.pool, document.id, &key, size)
            .await
            .transient()?;
        let gone = !recorded
            && order_documents::find(&self.pool, document.id)
                .await
                .transient()?
                .is_none();
        if gone {
            // The client's data was erased while the PDF was drawn: nothing may keep it.
            self.storage.delete(&key).await.transient()?;
            return Ok(false);
        }
        tracing::info!(%document_id, order_id = %document.order_id, kind = kind.as_str(), size, key,
            recorded, "order document rendered");
        Ok(recorded)
    }
}
