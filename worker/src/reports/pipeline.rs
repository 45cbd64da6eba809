//! Rows from Postgres to the writer: the query streams (sqlx `fetch`), batches cross a bounded
//! channel to a blocking thread that writes the file, so at most a few batches are in memory
//! whatever the report's size. Progress is recorded as the rows go.

use std::path::Path;

use futures::TryStreamExt;
use uuid::Uuid;

use comptoir_domain::PgPool;
use comptoir_domain::report_rows::{Cell, RowParams, Spec};
use comptoir_domain::reports::{self, ReportFormat};

use super::writer::{self, Meta, Totals};
use crate::error::{JobError, ResultExt};
use crate::pdf::FontFiles;

const BATCH: usize = 1_000;
/// Batches in flight between the query and the writer.
const IN_FLIGHT: usize = 4;

pub struct Job<'a> {
    pub pool: &'a PgPool,
    pub report_id: Uuid,
    pub spec: &'static Spec,
    pub params: &'a RowParams,
    pub format: ReportFormat,
    pub path: &'a Path,
    pub fonts: &'a FontFiles,
    /// The count taken before starting, for the progress.
    pub expected: u64,
    pub cap: u64,
}

/// Writes the report's file at `job.path`, headed by `meta`, and returns its number of rows.
pub async fn write(job: Job<'_>, meta: Meta) -> Result<u64, JobError> {
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<Vec<Cell>>>(IN_FLIGHT);
    let (format, path, fonts) = (job.format, job.path.to_owned(), job.fonts.clone());
    let columns = job.spec.columns;
    let writing = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut file = writer::create(format, &path, meta, &fonts)?;
        let mut totals = Totals::new(columns);
        while let Some(batch) = receiver.blocking_recv() {
            for row in &batch {
                totals.add(row);
                file.row(row)?;
            }
        }
        file.finish(&totals)
    });
    let streamed = stream(&job, sender).await;
    let written = writing
        .await
        .map_err(|err| JobError::Transient(anyhow::anyhow!("the report writer panicked: {err}")))?;
    // A writer that stopped early closes the channel, ending the stream: its error says why.
    written.map_err(JobError::of_file_writer)?;
    streamed
}

async fn stream(
    job: &Job<'_>,
    sender: tokio::sync::mpsc::Sender<Vec<Vec<Cell>>>,
) -> Result<u64, JobError> {
    let step = (job.expected / 50).max(BATCH as u64);
    let mut rows = job.spec.rows(job.pool, job.params);
    let mut batch = Vec::with_capacity(BATCH);
    let mut count = 0_u64;
    while let Some(row) = rows.try_next().await.transient()? {
        count += 1;
        if count > job.cap {
            // Rows were added since the count.
            return Err(JobError::Permanent(anyhow::anyhow!(
                "the report has more than {} rows, the limit for {} reports; narrow the period or the filters",
                job.cap,
                job.format.as_str()
            )));
        }
        batch.push(row);
        if batch.len() == BATCH && sender.send(std::mem::take(&mut batch)).await.is_err() {
            return Ok(count);
        }
        if count.is_multiple_of(step) {
            let progress = (count * 99 / job.expected.max(count)).min(99);
            reports::set_progress(
                job.pool,
                job.report_id,
                i32::try_from(progress).unwrap_or(99),
            )
            .await
            .transient()?;
        }
    }
    if !batch.is_empty() {
        // An error here means the writer failed; `write` reports it.
        let _ = sender.send(batch).await;
    }
    Ok(count)
}
