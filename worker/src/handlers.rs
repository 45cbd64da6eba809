//! Builds the handlers of every job kind from the settings, once per process.

use std::time::Duration;

use sqlx::PgPool;

use comptoir_domain::config::Settings;
use comptoir_domain::db;
use comptoir_jobs::Producer;
use comptoir_jobs::catalogue_cache::CatalogueCache;
use comptoir_storage::Storage;

use crate::dispatch::Handlers;
use crate::documents::DocumentRenderer;
use crate::email::Mailer;
use crate::images::{ImagePipeline, ImageProcessor};
use crate::imports::Importer;
use crate::maintenance::Housekeeper;
use crate::notifications::{self, NotificationFanOut};
use crate::payments::PaymentDesk;
use crate::privacy::{DataExporter, Eraser};
use crate::quotes::QuoteDesk;
use crate::reports::purge::ReportPurger;
use crate::reports::{self, ReportGenerator};
use crate::shops::ShopSweeper;
use crate::sms::SmsDesk;
use crate::snapshots::Snapshotter;

/// Connections kept for recording sent emails: the record is one short statement.
const RECORD_CONNECTIONS: u32 = 2;

pub fn build(
    settings: &Settings,
    pool: &PgPool,
    producer: &Producer,
    catalogue: &CatalogueCache,
    storage: &Storage,
) -> anyhow::Result<Handlers> {
    let pipeline = ImagePipeline::new(&settings.images, &settings.clamd, storage.clone());
    Ok(Handlers {
        mailer: Mailer::new(
            pool.clone(),
            db::warm_pool(&settings.database, RECORD_CONNECTIONS)?,
            &settings.smtp,
            Duration::from_secs(settings.jobs.lease_secs),
        )?,
        housekeeper: Housekeeper {
            pool: pool.clone(),
            ledger_retention_days: settings.jobs.ledger_retention_days,
        },
        shop_sweeper: ShopSweeper {
            pool: pool.clone(),
            producer: producer.clone(),
            catalogue: catalogue.clone(),
        },
        snapshotter: Snapshotter {
            pool: pool.clone(),
            storage: storage.clone(),
        },
        importer: Importer {
            pool: pool.clone(),
            storage: storage.clone(),
            settings: settings.imports.clone(),
            pipeline: pipeline.clone(),
            catalogue: catalogue.clone(),
        },
        notifier: NotificationFanOut {
            pool: pool.clone(),
            producer: producer.clone(),
            page_size: notifications::PAGE_SIZE,
            sms: settings.sms.clone(),
        },
        images: ImageProcessor {
            pool: pool.clone(),
            storage: storage.clone(),
            pipeline,
            catalogue: catalogue.clone(),
        },
        reporter: ReportGenerator {
            pool: pool.clone(),
            storage: storage.clone(),
            producer: producer.clone(),
            settings: settings.reports.clone(),
            public_url: settings.server.public_url.clone(),
        },
        payments: PaymentDesk::new(pool.clone(), producer.clone(), catalogue.clone(), settings)?,
        sms: SmsDesk::new(
            pool.clone(),
            &settings.sms,
            &settings.otp,
            &settings.server.public_url,
        )?,
        report_purger: ReportPurger {
            pool: pool.clone(),
            storage: storage.clone(),
        },
        documents: DocumentRenderer {
            pool: pool.clone(),
            storage: storage.clone(),
            fonts: reports::pdf_fonts(&settings.reports),
        },
        quotes: QuoteDesk {
            pool: pool.clone(),
            storage: storage.clone(),
            producer: producer.clone(),
            fonts: reports::pdf_fonts(&settings.reports),
            links: settings.reports.clone(),
            public_url: settings.server.public_url.clone(),
        },
        exporter: DataExporter {
            pool: pool.clone(),
            storage: storage.clone(),
            producer: producer.clone(),
            settings: settings.privacy.clone(),
            signing_secret: settings.reports.signing_secret.clone(),
            public_url: settings.server.public_url.clone(),
        },
        eraser: Eraser {
            pool: pool.clone(),
            storage: storage.clone(),
        },
    })
}
