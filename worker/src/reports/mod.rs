//! Report generation (`reports.generate.v1`): count the rows (the cap is checked before any
//! work), stream them from Postgres into the format's writer on a blocking thread, store the file,
//! then record it and email the requester a signed link in one transaction. A re-run (the worker
//! died) starts over and rewrites the same key; a finished report is left alone.

mod csv;
mod json;
mod pdf;
mod pipeline;
pub mod purge;
mod writer;
mod xlsx;

use chrono::Utc;
use sqlx::PgConnection;

use comptoir_domain::config::ReportSettings;
use comptoir_domain::report_rows::{self, RowParams};
use comptoir_domain::reports::{self, Report, ReportFile, ReportFormat};
use comptoir_domain::{PgPool, StoreResult, report_links, users};
use comptoir_jobs::Producer;
use comptoir_jobs::email::{EmailMessage, SendEmail};
use comptoir_jobs::reports::GenerateReport;
use comptoir_storage::Storage;

use crate::error::{JobError, JobResult, ResultExt, record_final_failure};
use crate::pdf::FontFiles;
use writer::Meta;

pub struct ReportGenerator {
    pub pool: PgPool,
    pub storage: Storage,
    pub producer: Producer,
    pub settings: ReportSettings,
    /// Base of the emailed links (`server.public_url`).
    pub public_url: String,
}

fn permanent(reason: String) -> JobError {
    JobError::Permanent(anyhow::anyhow!(reason))
}

impl ReportGenerator {
    /// Runs the job; a permanent failure, or the last attempt's, is recorded on the report.
    pub async fn run(&self, job: &GenerateReport, last_attempt: bool) -> JobResult {
        let result = self.generate(job).await;
        record_final_failure(result, last_attempt, async |reason| {
            reports::fail(&self.pool, job.report_id, &reason, self.retention()).await
        })
        .await
    }

    fn retention(&self) -> i64 {
        i64::try_from(self.settings.retention_secs).unwrap_or(i64::MAX)
    }

    /// The most rows a report in `format` may have.
    fn cap(&self, format: ReportFormat) -> u64 {
        match format {
            ReportFormat::Pdf => self.settings.max_rows.min(self.settings.pdf_max_rows),
            ReportFormat::Xlsx => self.settings.max_rows.min(xlsx::MAX_ROWS - 1),
            ReportFormat::Csv | ReportFormat::Json => self.settings.max_rows,
        }
    }

    async fn generate(&self, job: &GenerateReport) -> JobResult {
        let Some(report) = reports::start(&self.pool, job.report_id)
            .await
            .transient()?
        else {
            tracing::info!(report_id = %job.report_id, "report gone or already finished");
            return Ok(());
        };
        let (Some(kind), Some(format)) = (report.kind(), report.file_format()) else {
            return Err(permanent(format!(
                "unknown report type or format: {} / {}",
                report.report_type, report.format
            )));
        };
        let spec = report_rows::spec(kind);
        let params = RowParams::from(&report);
        let total = spec.count(&self.pool, &params).await.transient()?;
        let cap = self.cap(format);
        if u64::try_from(total).unwrap_or(0) > cap {
            return Err(permanent(format!(
                "the report would have {total} rows, over the limit of {cap} rows for {} reports; \
                 narrow the period or the filters",
                format.as_str()
            )));
        }
        let local = tempfile::NamedTempFile::new().transient()?;
        let meta = Meta {
            title: kind.title().to_owned(),
            period: period(&report),
            generated_at: Utc::now(),
            columns: spec.columns,
        };
        let job = pipeline::Job {
            pool: &self.pool,
            report_id: report.id,
            spec,
            params: &params,
            format,
            path: local.path(),
            fonts: &pdf_fonts(&self.settings),
            expected: u64::try_from(total).unwrap_or(0),
            cap,
        };
        let rows = pipeline::write(job, meta).await?;
        let name = format!(
            "{}_{}_{}.{}",
            kind.as_str(),
            report.date_from,
            report.date_to,
            format.as_str()
        );
        let key = format!("reports/{}/{name}", report.id);
        let size = self
            .storage
            .put_file(&key, local.path())
            .await
            .transient()?;
        let file = ReportFile {
            key: &key,
            name: &name,
            size: i64::try_from(size).unwrap_or(i64::MAX),
            rows: i64::try_from(rows).unwrap_or(i64::MAX),
        };
        let mut tx = self.pool.begin().await.transient()?;
        if let Some(done) = reports::succeed(&mut tx, report.id, &file, self.retention())
            .await
            .transient()?
        {
            self.notify(&mut tx, &done).await.transient()?;
        }
        self.producer.commit(tx).await.transient()?;
        tracing::info!(report_id = %report.id, rows, size, key, "report ready");
        Ok(())
    }

    /// Enqueues the requester's "report ready" email with a signed link (none for an account
    /// without an email address).
    async fn notify(&self, tx: &mut PgConnection, report: &Report) -> StoreResult<()> {
        let Some(user) = users::find_by_id(&mut *tx, report.requested_by).await? else {
            return Ok(());
        };
        let (Some(to), Some((path, expires))) = (
            user.email,
            report_links::issue(
                &self.settings.signing_secret,
                report,
                self.settings.link_ttl_secs,
                Utc::now(),
            ),
        ) else {
            return Ok(());
        };
        let title = report
            .kind()
            .map_or("Report", |kind| kind.title())
            .to_owned();
        let email = SendEmail {
            to,
            dedupe_key: format!("report-ready:{}", report.id),
            message: EmailMessage::ReportReady {
                name: user.name,
                title,
                format: report.format.to_uppercase(),
                period: period(report),
                url: format!("{}{path}", self.public_url.trim_end_matches('/')),
                expires_at: expires.to_rfc3339(),
            },
        };
        self.producer.enqueue(tx, &email).await?;
        Ok(())
    }
}

/// The fonts every PDF embeds as needed.
pub fn pdf_fonts(settings: &ReportSettings) -> FontFiles {
    FontFiles {
        unicode: settings.pdf_font_path.clone(),
        fallback: settings.pdf_fallback_font_path.clone(),
    }
}

fn period(report: &Report) -> String {
    format!("{} to {}", report.date_from, report.date_to)
}
