//! The notification fan-out: pages through a batch's audience (by user id, `page_size` users per
//! transaction, banned users skipped) and, in each page's transaction, creates one notification
//! per (batch, user) and, for email, enqueues one `SendEmail` per recipient under the unique key
//! `notification:<batch>:<user>` (also its dedupe key). Both are unique, so a run cut short and
//! run again, or a second run, creates nothing twice; the mailer sends each key once.
//!
//! A marketing batch leaves out the users who did not consent to its channel (recorded once per
//! batch and user, and counted on the batch).
//!
//! SMS works the same way: one `sms_messages` row per recipient with a verified phone in an
//! allowed country, its dedupe key `notification:<batch>:<user>`, and one `SendSms` job each.

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use comptoir_domain::StoreResult;
use comptoir_domain::config::SmsSettings;
use comptoir_domain::notifications::{self, Batch, Channel, Recipient};
use comptoir_domain::sms::messages::{self, NewSms, SmsPurpose};
use comptoir_jobs::Producer;
use comptoir_jobs::email::{EmailMessage, SendEmail};
use comptoir_jobs::notifications::FanOutNotification;
use comptoir_jobs::sms::SendSms;

use crate::error::{JobError, JobResult, ResultExt};

/// Recipients handled per transaction.
pub const PAGE_SIZE: i64 = 500;

pub struct NotificationFanOut {
    pub pool: PgPool,
    pub producer: Producer,
    pub page_size: i64,
    /// Which countries texts may go to.
    pub sms: SmsSettings,
}

/// What one run did (a run over a batch already fanned out does nothing).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FanOutReport {
    /// Users the audience resolved to (banned users excluded).
    pub recipients: usize,
    /// Marketing batches: users left out for want of consent, first recorded by this run.
    pub skipped_without_consent: i64,
    /// Notifications this run created.
    pub created: i64,
    /// Email jobs this run enqueued.
    pub emails: usize,
    /// Recipients of an email batch without an email address (notified in-app only).
    pub without_email: usize,
    /// Text jobs this run enqueued.
    pub texts: usize,
    /// Recipients of an SMS batch without a verified phone we text (notified in-app only).
    pub without_phone: usize,
}

impl NotificationFanOut {
    /// Fans batch `batch_id` out; `None` when no such batch exists.
    pub async fn fan_out(&self, batch_id: Uuid) -> StoreResult<Option<FanOutReport>> {
        let Some(batch) = notifications::find_batch(&self.pool, batch_id).await? else {
            return Ok(None);
        };
        notifications::start_batch(&self.pool, batch.id).await?;
        let mut report = FanOutReport::default();
        let mut after = None;
        loop {
            let mut tx = self.pool.begin().await?;
            let page =
                notifications::recipients_page(&mut *tx, &batch, after, self.page_size).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            let full_page = page.len() >= usize::try_from(self.page_size).unwrap_or(usize::MAX);
            report.recipients += page.len();
            let (page, left_out): (Vec<Recipient>, Vec<Recipient>) =
                page.into_iter().partition(|recipient| recipient.consented);
            if !left_out.is_empty() {
                let left_out: Vec<Uuid> = left_out.iter().map(|recipient| recipient.id).collect();
                report.skipped_without_consent +=
                    notifications::skip_for_batch(&mut tx, batch.id, &left_out).await?;
            }
            let users: Vec<Uuid> = page.iter().map(|recipient| recipient.id).collect();
            report.created += notifications::create_for_batch(&mut tx, &batch, &users).await?;
            match batch.channel {
                Channel::Email => {
                    self.enqueue_emails(&mut tx, &batch, &page, &mut report)
                        .await?
                }
                Channel::Sms => {
                    self.enqueue_texts(&mut tx, &batch, &page, &mut report)
                        .await?
                }
                Channel::InApp => {}
            }
            self.producer.commit(tx).await?;
            if !full_page {
                break;
            }
        }
        notifications::finish_batch(&self.pool, batch.id).await?;
        Ok(Some(report))
    }

    async fn enqueue_texts(
        &self,
        tx: &mut PgConnection,
        batch: &Batch,
        page: &[Recipient],
        report: &mut FanOutReport,
    ) -> StoreResult<()> {
        for recipient in page {
            let Some(phone) = recipient
                .verified_phone
                .as_deref()
                .filter(|phone| self.sms.allows(phone))
            else {
                report.without_phone += 1;
                continue;
            };
            let key = format!("notification:{}:{}", batch.id, recipient.id);
            let recorded = messages::insert(
                &mut *tx,
                NewSms {
                    to_phone: phone,
                    purpose: SmsPurpose::Notification,
                    user_id: Some(recipient.id),
                    otp_id: None,
                    body: Some(&batch.body),
                    dedupe_key: Some(&key),
                },
            )
            .await?;
            if let Some(sms_id) = recorded {
                self.producer.enqueue(tx, &SendSms { sms_id }).await?;
                report.texts += 1;
            }
        }
        Ok(())
    }

    async fn enqueue_emails(
        &self,
        tx: &mut PgConnection,
        batch: &Batch,
        page: &[Recipient],
        report: &mut FanOutReport,
    ) -> StoreResult<()> {
        let message = EmailMessage::Notification {
            subject: batch.subject.clone().unwrap_or_default(),
            body: batch.body.clone(),
        };
        for recipient in page {
            let Some(to) = recipient.email.clone() else {
                report.without_email += 1;
                continue;
            };
            let key = format!("notification:{}:{}", batch.id, recipient.id);
            let email = SendEmail {
                to,
                dedupe_key: key.clone(),
                message: message.clone(),
            };
            if self
                .producer
                .enqueue_unique(tx, &email, key)
                .await?
                .is_some()
            {
                report.emails += 1;
            }
        }
        Ok(())
    }

    pub async fn run(&self, job: &FanOutNotification) -> JobResult {
        let report = self
            .fan_out(job.batch_id)
            .await
            .transient()?
            .ok_or_else(|| {
                JobError::Permanent(anyhow::anyhow!(
                    "notification batch {} does not exist",
                    job.batch_id
                ))
            })?;
        tracing::info!(
            batch_id = %job.batch_id,
            recipients = report.recipients,
            created = report.created,
            emails = report.emails,
            without_email = report.without_email,
            texts = report.texts,
            without_phone = report.without_phone,
            skipped_without_consent = report.skipped_without_consent,
            "notification batch fanned out"
        );
        if report.without_email > 0 {
            tracing::warn!(batch_id = %job.batch_id, count = report.without_email,
                "email notification recipients without an email address were notified in-app only");
        }
        if report.without_phone > 0 {
            tracing::info!(batch_id = %job.batch_id, count = report.without_phone,
                "sms notification recipients without a verified phone were notified in-app only");
        }
        Ok(())
    }
}
