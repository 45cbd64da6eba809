//! Quotes in the workers: `quotes.render.v1` (on the reports queue) draws the PDF of an offer
//! on a blocking thread, stores it under one key per quote and emails the client a signed link;
//! `quotes.expiry_sweep.v1` expires the offers past their date, once per tick.

mod layout;

use chrono::Utc;
use sqlx::PgConnection;

use comptoir_domain::config::ReportSettings;
use comptoir_domain::money::format_money;
use comptoir_domain::quotes::{self, QuoteSheet};
use comptoir_domain::report_links;
use comptoir_domain::users;
use comptoir_domain::{PgPool, StoreResult};
use comptoir_jobs::Producer;
use comptoir_jobs::email::{EmailMessage, SendEmail};
use comptoir_jobs::quotes::RenderQuote;
use comptoir_storage::Storage;

use crate::error::{JobError, JobResult, ResultExt};
use crate::pdf::FontFiles;

pub struct QuoteDesk {
    pub pool: PgPool,
    pub storage: Storage,
    pub producer: Producer,
    pub fonts: FontFiles,
    /// The link signing secret and lifetime (shared with reports).
    pub links: ReportSettings,
    /// Base of the emailed links (`server.public_url`).
    pub public_url: String,
}

impl QuoteDesk {
    /// Renders and stores the offer's PDF and emails the client; an outdated job (a newer
    /// offer was made) or one already done does nothing.
    pub async fn render(&self, job: &RenderQuote) -> JobResult {
        let mut db = self.pool.acquire().await.transient()?;
        let Some((sheet, lines)) = quotes::sheet(&mut db, job.quote_id).await.transient()? else {
            tracing::info!(quote_id = %job.quote_id, "quote gone");
            return Ok(());
        };
        drop(db);
        if sheet.offer_version != job.version {
            tracing::info!(quote_id = %job.quote_id, job.version, "a newer offer superseded this one");
            return Ok(());
        }
        let total = quotes::total(&lines);
        let local = tempfile::NamedTempFile::new().transient()?;
        let (path, fonts, printed) = (local.path().to_owned(), self.fonts.clone(), sheet.clone());
        tokio::task::spawn_blocking(move || {
            layout::render(&printed, &lines, Utc::now(), &fonts, &path)
        })
        .await
        .map_err(|err| JobError::Transient(anyhow::anyhow!("the PDF writer panicked: {err}")))?
        .map_err(JobError::of_file_writer)?;
        // One key per offer: the link of an older offer's email keeps opening the latest PDF.
        let key = format!("quotes/{}/offer-{}.pdf", sheet.id, job.version);
        let size = self
            .storage
            .put_file(&key, local.path())
            .await
            .transient()?;
        let mut tx = self.pool.begin().await.transient()?;
        if users::erasing(&mut tx, sheet.client_id).await.transient()? {
            // The client's data was erased while the PDF was drawn: nothing may keep it.
            tx.rollback().await.transient()?;
            self.storage.delete(&key).await.transient()?;
            return Ok(());
        }
        if quotes::set_pdf(&mut *tx, sheet.id, job.version, &key)
            .await
            .transient()?
        {
            self.email_client(&mut tx, &sheet, total)
                .await
                .transient()?;
        }
        self.producer.commit(tx).await.transient()?;
        tracing::info!(quote_id = %sheet.id, number = sheet.number, size, key, "quote rendered");
        Ok(())
    }

    /// Enqueues the client's email with a signed link to the PDF (none without an address).
    async fn email_client(
        &self,
        tx: &mut PgConnection,
        sheet: &QuoteSheet,
        total: i64,
    ) -> StoreResult<()> {
        let now = Utc::now();
        let expires = report_links::expiry(self.links.link_ttl_secs, None, now);
        let (Some(to), Some(expires)) = (sheet.client_email.clone(), expires) else {
            return Ok(());
        };
        let token = report_links::sign_for(
            &self.links.signing_secret,
            quotes::LINK_SUBJECT,
            sheet.id,
            sheet.client_id,
            expires,
        );
        let url = format!(
            "{}/v1/quotes/{}/pdf?token={token}",
            self.public_url.trim_end_matches('/'),
            sheet.id
        );
        let valid_until = sheet.valid_until.map_or("-".to_owned(), |until| {
            until.format("%Y-%m-%d %H:%M UTC").to_string()
        });
        let email = SendEmail {
            to,
            dedupe_key: format!("quote-offered:{}:{}", sheet.id, sheet.offer_version),
            message: EmailMessage::QuoteOffered {
                name: sheet.client_name.clone(),
                number: sheet.number.clone(),
                shop_name: sheet.shop_name.clone(),
                company_name: sheet.company_name.clone(),
                total: format_money(total, &sheet.currency),
                valid_until,
                url,
                expires_at: expires.to_rfc3339(),
            },
        };
        self.producer.enqueue(tx, &email).await?;
        Ok(())
    }

    /// Expires the offers past their date and tells their sellers; returns how many.
    pub async fn sweep(&self) -> StoreResult<usize> {
        let mut tx = self.pool.begin().await?;
        let expired = quotes::expire_due(&mut *tx).await?;
        for quote in &expired {
            quotes::notify_seller(&mut *tx, quote.shop_owner_id, &quote.number, "expired").await?;
        }
        tx.commit().await?;
        if !expired.is_empty() {
            tracing::info!(expired = expired.len(), "quotes expired");
        }
        Ok(expired.len())
    }

    pub async fn run_sweep(&self) -> JobResult {
        self.sweep().await.transient().map(|_| ())
    }
}
