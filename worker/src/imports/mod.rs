//! Bulk product imports (`imports.run.v1`): a CSV of products, optionally with a ZIP of their
//! images, streamed into the shop's catalogue in batches.
//!
//! The job downloads both files from storage to a private temporary directory (the ZIP needs
//! random access), checks the archive, counts the records for progress, then a blocking thread
//! parses the CSV ([`reader`]) while this task writes each batch in one transaction
//! ([`writer`]). The import row's `processed` counter is the checkpoint: a worker killed
//! mid-import is redelivered the job and resumes after the last committed batch, so nothing is
//! created twice.

mod archive;
mod fields;
mod images;
mod layout;
mod own;
mod reader;
mod room;
mod shopify;
mod writer;

use std::path::Path;
use std::sync::{Arc, Mutex};

use sqlx::PgPool;
use tokio::sync::mpsc;

use comptoir_domain::categories;
use comptoir_domain::config::ImportSettings;
use comptoir_domain::imports::batch::ProductRow;
use comptoir_domain::imports::{self, Import, RowError};
use comptoir_domain::product_images::PreparedImage;
use comptoir_jobs::catalogue_cache::CatalogueCache;
use comptoir_jobs::imports::RunImport;
use comptoir_storage::{Storage, StorageError};

use crate::error::{JobError, JobResult, ResultExt};
use crate::images::ImagePipeline;
use archive::{ArchiveError, ImageArchive};
use fields::CategoryIndex;
use reader::{FileError, ReadOptions};

/// A row (or Shopify group) that parsed into a product.
#[derive(Debug)]
pub struct Candidate {
    pub row: ProductRow,
    pub images: Vec<ImageRef>,
    /// The images once scanned and resized, in `images` order (filled before writing).
    pub prepared: Vec<PreparedImage>,
}

/// An image a row names: a file in the ZIP, or a URL matched by its file name.
#[derive(Debug, Clone)]
pub struct ImageRef {
    pub line: i64,
    pub column: &'static str,
    pub name: String,
}

#[derive(Debug)]
pub enum Parsed {
    Product(Box<Candidate>),
    Failed(Vec<RowError>),
}

/// What the reader hands over: a parse result and the CSV records it consumed.
#[derive(Debug)]
pub struct Unit {
    pub records: u32,
    pub parsed: Parsed,
}

pub struct Importer {
    pub pool: PgPool,
    pub storage: Storage,
    pub settings: ImportSettings,
    pub pipeline: ImagePipeline,
    /// Each committed batch changes the catalogue: its cached pages are retired.
    pub catalogue: CatalogueCache,
}

impl Importer {
    pub async fn run(&self, job: &RunImport) -> JobResult {
        let import = imports::start(&self.pool, job.import_id)
            .await
            .transient()?
            .ok_or_else(|| {
                JobError::Permanent(anyhow::anyhow!("import {} is gone", job.import_id))
            })?;
        if import.is_finished() {
            return Ok(());
        }
        match self.import(&import).await {
            Ok(()) => self.finish(&import, None).await,
            Err(Outcome::Refused(reason)) => {
                tracing::warn!(import_id = %import.id, %reason, "import refused");
                self.finish(&import, Some(&reason)).await
            }
            Err(Outcome::Job(error)) => Err(error),
        }
    }

    async fn finish(&self, import: &Import, error: Option<&str>) -> JobResult {
        let mut tx = self.pool.begin().await.transient()?;
        imports::finish(&mut tx, import.id, error)
            .await
            .transient()?;
        tx.commit().await.transient()
    }

    async fn import(&self, import: &Import) -> Result<(), Outcome> {
        let workdir = tempfile::tempdir().transient()?;
        let csv_path = workdir.path().join("products.csv");
        self.fetch(&import.csv_key, &csv_path).await?;
        let archive = match &import.images_key {
            Some(key) => Some(
                self.open_archive(key, &workdir.path().join("images.zip"))
                    .await?,
            ),
            None => None,
        };
        if import.total_rows == 0 {
            let path = csv_path.clone();
            let total = blocking(move || reader::count_records(&path)).await?;
            let total = i32::try_from(total).map_err(|_| {
                Outcome::Refused(format!(
                    "the file has {total} rows, too many for one import"
                ))
            })?;
            imports::set_total_rows(&self.pool, import.id, total)
                .await
                .transient()?;
        }
        let categories = CategoryIndex::new(&categories::all(&self.pool).await.transient()?);
        let (sender, mut batches) = mpsc::channel(2);
        let options = (
            import.processed as u64,
            self.settings.batch_rows,
            import.currency.clone(),
            self.settings.max_rows_per_handle,
        );
        let reading = tokio::task::spawn_blocking(move || {
            let (skip_records, batch_rows, currency, max_rows_per_handle) = options;
            let options = ReadOptions {
                skip_records,
                batch_rows,
                default_currency: &currency,
                max_rows_per_handle,
                categories: &categories,
            };
            reader::read(&csv_path, &options, &sender)
        });
        let mut writer = writer::BatchWriter::new(self, import, archive);
        while let Some(batch) = batches.recv().await {
            writer.commit(batch).await?;
        }
        let layout = reading.await.transient()?.map_err(Outcome::from)?;
        tracing::info!(import_id = %import.id, layout, "import rows done");
        Ok(())
    }

    /// Copies an uploaded file to local disk; a missing upload fails the import.
    async fn fetch(&self, key: &str, path: &Path) -> Result<(), Outcome> {
        match self.storage.download_to(key, path).await {
            Ok(_) => Ok(()),
            Err(StorageError::NotFound(_)) => Err(Outcome::Refused(
                "the uploaded file is missing from storage".to_owned(),
            )),
            Err(error) => Err(Outcome::Job(JobError::Transient(error.into()))),
        }
    }

    async fn open_archive(
        &self,
        key: &str,
        path: &Path,
    ) -> Result<Arc<Mutex<ImageArchive>>, Outcome> {
        self.fetch(key, path).await?;
        let (path, limits) = (path.to_owned(), self.settings.zip);
        let archive = blocking(move || ImageArchive::open(&path, limits)).await?;
        Ok(Arc::new(Mutex::new(archive)))
    }
}

/// How an import attempt ends when it does not complete: refused for good (the import fails
/// with the reason) or a job error (transient ones retry and resume).
pub enum Outcome {
    Refused(String),
    Job(JobError),
}

impl From<JobError> for Outcome {
    fn from(error: JobError) -> Self {
        Outcome::Job(error)
    }
}

impl From<FileError> for Outcome {
    fn from(error: FileError) -> Self {
        match error {
            FileError::Invalid(reason) => Outcome::Refused(reason),
            FileError::Io(io) => Outcome::Job(JobError::Transient(io.into())),
        }
    }
}

impl From<ArchiveError> for Outcome {
    fn from(error: ArchiveError) -> Self {
        match error {
            ArchiveError::Refused(reason) => Outcome::Refused(reason),
            ArchiveError::Io(io) => Outcome::Job(JobError::Transient(io.into())),
        }
    }
}

/// Runs blocking file work off the async threads.
async fn blocking<T, E>(work: impl FnOnce() -> Result<T, E> + Send + 'static) -> Result<T, Outcome>
where
    T: Send + 'static,
    E: Into<Outcome> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .transient()?
        .map_err(Into::into)
}
