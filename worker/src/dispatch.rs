//! Maps a job kind to its handler, decoding the payload on the way.

use serde::de::DeserializeOwned;

use comptoir_domain::ledger::ClaimedJob;
use comptoir_jobs::Job;
use comptoir_jobs::documents::RenderOrderDocument;
use comptoir_jobs::email::SendEmail;
use comptoir_jobs::images::ProcessImage;
use comptoir_jobs::imports::RunImport;
use comptoir_jobs::maintenance::{Housekeeping, ShopExpirySweep};
use comptoir_jobs::notifications::FanOutNotification;
use comptoir_jobs::payments::{
    InitiatePayment, PaymentSweep, ReconcileEvent, RefundPayment, RequeryPayment,
};
use comptoir_jobs::privacy::{EraseUser, ExportPersonalData};
use comptoir_jobs::quotes::{QuoteExpirySweep, RenderQuote};
use comptoir_jobs::reports::{GenerateReport, PurgeReports};
use comptoir_jobs::shops::ShopSnapshot;
use comptoir_jobs::sms::SendSms;
use comptoir_jobs::system::Ping;

use crate::documents::DocumentRenderer;
use crate::email::Mailer;
use crate::error::{JobError, JobResult, ResultExt};
use crate::images::ImageProcessor;
use crate::imports::Importer;
use crate::maintenance::Housekeeper;
use crate::notifications::NotificationFanOut;
use crate::payments::PaymentDesk;
use crate::privacy::{DataExporter, Eraser};
use crate::quotes::QuoteDesk;
use crate::reports::ReportGenerator;
use crate::reports::purge::ReportPurger;
use crate::shops::ShopSweeper;
use crate::sms::SmsDesk;
use crate::snapshots::Snapshotter;

/// Everything the handlers need, built once per process.
pub struct Handlers {
    pub mailer: Mailer,
    pub housekeeper: Housekeeper,
    pub shop_sweeper: ShopSweeper,
    pub snapshotter: Snapshotter,
    pub notifier: NotificationFanOut,
    pub images: ImageProcessor,
    pub importer: Importer,
    pub reporter: ReportGenerator,
    pub report_purger: ReportPurger,
    pub documents: DocumentRenderer,
    pub quotes: QuoteDesk,
    pub exporter: DataExporter,
    pub eraser: Eraser,
    pub payments: PaymentDesk,
    pub sms: SmsDesk,
}

fn decode<J: Job + DeserializeOwned>(job: &ClaimedJob) -> Result<J, JobError> {
    serde_json::from_value(job.payload.clone()).permanent()
}

pub async fn run(handlers: &Handlers, job: &ClaimedJob) -> JobResult {
    match job.kind.as_str() {
        SendEmail::KIND => handlers.mailer.send(&decode(job)?).await,
        Housekeeping::KIND => handlers.housekeeper.run(&decode(job)?).await,
        ShopExpirySweep::KIND => handlers.shop_sweeper.run().await,
        ShopSnapshot::KIND => handlers.snapshotter.run(&decode(job)?).await,
        FanOutNotification::KIND => handlers.notifier.run(&decode(job)?).await,
        ProcessImage::KIND => handlers.images.run(&decode(job)?).await,
        RunImport::KIND => handlers.importer.run(&decode(job)?).await,
        GenerateReport::KIND => {
            let last_attempt = job.attempts >= job.max_attempts;
            handlers.reporter.run(&decode(job)?, last_attempt).await
        }
        PurgeReports::KIND => handlers.report_purger.run().await,
        RenderOrderDocument::KIND => {
            let last_attempt = job.attempts >= job.max_attempts;
            handlers.documents.run(&decode(job)?, last_attempt).await
        }
        RenderQuote::KIND => handlers.quotes.render(&decode(job)?).await,
        QuoteExpirySweep::KIND => handlers.quotes.run_sweep().await,
        ExportPersonalData::KIND => {
            let last_attempt = job.attempts >= job.max_attempts;
            handlers.exporter.run(&decode(job)?, last_attempt).await
        }
        EraseUser::KIND => handlers.eraser.run(&decode(job)?).await,
        InitiatePayment::KIND => handlers.payments.initiate(&decode(job)?).await,
        ReconcileEvent::KIND => handlers.payments.reconcile(&decode(job)?).await,
        RequeryPayment::KIND => handlers.payments.requery(&decode(job)?).await,
        RefundPayment::KIND => handlers.payments.refund(&decode(job)?).await,
        PaymentSweep::KIND => handlers.payments.sweep(&decode(job)?).await,
        SendSms::KIND => handlers.sms.send(&decode(job)?).await,
        // The canary and the benchmarks time the job system itself: nothing to do.
        Ping::KIND => Ok(()),
        // A newer API may enqueue kinds this (older) worker does not know yet during a rolling
        // deploy: retry, so an upgraded worker runs it.
        other => Err(JobError::Transient(anyhow::anyhow!(
            "no handler for job kind `{other}` in this worker version"
        ))),
    }
}
