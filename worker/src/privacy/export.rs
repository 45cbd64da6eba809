//! `privacy.export.v1` (reports queue): every file of `export_files` streamed from PostgreSQL
//! through a bounded channel into a ZIP on a blocking thread, stored, then the user emailed a
//! signed link in the transaction that records it. Memory holds a few batches of rows, however
//! many orders the user has.

use chrono::{SecondsFormat, Utc};
use futures::TryStreamExt;
use sqlx::PgConnection;
use tokio::sync::mpsc;

use comptoir_domain::config::{PrivacySettings, Secret};
use comptoir_domain::privacy::export_files::{self, FILES};
use comptoir_domain::privacy::exports::{self, DataExport};
use comptoir_domain::users::{self, User};
use comptoir_domain::{PgPool, StoreResult};
use comptoir_jobs::Producer;
use comptoir_jobs::email::{EmailMessage, SendEmail};
use comptoir_jobs::privacy::ExportPersonalData;
use comptoir_storage::Storage;

use super::archive::{Archive, Piece};
use crate::error::{JobError, JobResult, ResultExt, record_final_failure};

/// Rows per message to the writer, and messages in flight.
const BATCH: usize = 500;
const IN_FLIGHT: usize = 4;

pub struct DataExporter {
    pub pool: PgPool,
    pub storage: Storage,
    pub producer: Producer,
    pub settings: PrivacySettings,
    /// Signs the emailed link (the report links' secret).
    pub signing_secret: Secret,
    /// Base of the emailed links (`server.public_url`).
    pub public_url: String,
}

impl DataExporter {
    /// Runs the job; a permanent failure, or the last attempt's, is recorded on the export.
    pub async fn run(&self, job: &ExportPersonalData, last_attempt: bool) -> JobResult {
        let result = self.export(job).await;
        record_final_failure(result, last_attempt, async |reason| {
            exports::fail(&self.pool, job.export_id, &reason).await
        })
        .await
    }

    async fn export(&self, job: &ExportPersonalData) -> JobResult {
        let Some(export) = exports::start(&self.pool, job.export_id)
            .await
            .transient()?
        else {
            tracing::info!(export_id = %job.export_id, "data export gone or finished");
            return Ok(());
        };
        let user = users::find_by_id(&self.pool, export.user_id)
            .await
            .transient()?
            .filter(|user| user.erasure_requested_at.is_none())
            .ok_or_else(|| JobError::Permanent(anyhow::anyhow!("the account is being erased")))?;
        let local = tempfile::NamedTempFile::new().transient()?;
        let rows = self.write(&export, local.path()).await?;
        let key = format!("exports/{}/{}.zip", export.user_id, export.id);
        let size = self
            .storage
            .put_file(&key, local.path())
            .await
            .transient()?;
        let size = i64::try_from(size).unwrap_or(i64::MAX);
        let mut tx = self.pool.begin().await.transient()?;
        let done = exports::succeed(
            &mut tx,
            export.id,
            &key,
            size,
            self.settings.export_ttl_secs,
        )
        .await
        .transient()?;
        let Some(done) = done else {
            tx.rollback().await.transient()?;
            // The account was erased while the ZIP was written: nothing may keep it.
            if !exports::exists(&self.pool, export.id).await.transient()? {
                self.storage.delete(&key).await.transient()?;
                tracing::info!(export_id = %export.id, "data export of an erased account dropped");
            }
            return Ok(());
        };
        self.email(&mut tx, &done, user).await.transient()?;
        self.producer.commit(tx).await.transient()?;
        tracing::info!(export_id = %export.id, rows, size, key, "data export ready");
        Ok(())
    }

    /// Writes the ZIP at `path`; returns how many rows it holds.
    async fn write(&self, export: &DataExport, path: &std::path::Path) -> Result<u64, JobError> {
        let (sender, mut receiver) = mpsc::channel::<Vec<Piece>>(IN_FLIGHT);
        let path = path.to_owned();
        let writing = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            let mut archive = Archive::create(&path, Utc::now())?;
            while let Some(batch) = receiver.blocking_recv() {
                for piece in batch {
                    archive.add(piece)?;
                }
            }
            archive.finish()
        });
        let streamed = self.stream(export, sender).await;
        writing
            .await
            .map_err(|err| JobError::Transient(anyhow::anyhow!("the ZIP writer panicked: {err}")))?
            .map_err(JobError::of_file_writer)?;
        streamed
    }

    async fn stream(
        &self,
        export: &DataExport,
        sender: mpsc::Sender<Vec<Piece>>,
    ) -> Result<u64, JobError> {
        let readme = Piece::Text {
            name: "README.txt",
            body: export_files::readme(&Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)),
        };
        // A closed channel means the writer failed: `write` reports its error.
        if sender.send(vec![readme]).await.is_err() {
            return Ok(0);
        }
        let mut count = 0;
        for file in FILES {
            let mut batch = vec![Piece::Json {
                name: file.name,
                single: file.single,
            }];
            let mut rows = file.rows(&self.pool, export.user_id);
            while let Some(row) = rows.try_next().await.transient()? {
                count += 1;
                batch.push(Piece::Row(row));
                if batch.len() >= BATCH && sender.send(std::mem::take(&mut batch)).await.is_err() {
                    return Ok(count);
                }
            }
            if sender.send(batch).await.is_err() {
                return Ok(count);
            }
        }
        Ok(count)
    }

    /// Enqueues the email with the signed link (none for an account without an email address).
    async fn email(
        &self,
        tx: &mut PgConnection,
        export: &DataExport,
        user: User,
    ) -> StoreResult<()> {
        let (Some(to), Some((path, expires))) =
            (user.email, export.link(&self.signing_secret, Utc::now()))
        else {
            return Ok(());
        };
        let email = SendEmail {
            to,
            dedupe_key: format!("data-export-ready:{}", export.id),
            message: EmailMessage::DataExportReady {
                name: user.name,
                url: format!("{}{path}", self.public_url.trim_end_matches('/')),
                expires_at: expires.to_rfc3339(),
            },
        };
        self.producer.enqueue(tx, &email).await?;
        Ok(())
    }
}
