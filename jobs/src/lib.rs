//! The contract between the API and the workers: job payloads (versioned by kind), queue names,
//! typed enqueue into the Postgres outbox, and the relay that moves committed jobs to Redis.
//!
//! Redis carries only job ids ([`Message`]s) within a bounded window per queue; payload,
//! status, attempts and retry times live in the Postgres ledger.

pub mod catalogue_cache;
pub mod documents;
pub mod email;
pub mod images;
pub mod imports;
pub mod maintenance;
pub mod metrics;
pub mod notifications;
pub mod payments;
pub mod privacy;
mod producer;
pub mod quotes;
mod relay;
mod repeated;
pub mod reports;
pub mod shops;
pub mod sms;
pub mod system;
mod transport;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use producer::Producer;
pub use relay::{Relay, RelayError};
pub use repeated::{RepeatedFailure, error_chain};
pub use transport::{Consumer, Message, RedisTransport, TransportError};

/// Queue names. A worker process serves a subset (`--queues`).
pub mod queues {
    pub const EMAIL: &str = "email";
    pub const IMPORTS: &str = "imports";
    pub const MAINTENANCE: &str = "maintenance";
    pub const PAYMENTS: &str = "payments";
    pub const NOTIFICATIONS: &str = "notifications";
    pub const IMAGES: &str = "images";
    pub const REPORTS: &str = "reports";
    pub const SMS: &str = "sms";
    pub const SYSTEM: &str = "system";
    pub const ALL: &[&str] = &[
        EMAIL,
        IMPORTS,
        MAINTENANCE,
        NOTIFICATIONS,
        PAYMENTS,
        IMAGES,
        REPORTS,
        SMS,
        SYSTEM,
    ];
}

/// Every job kind with its queue: the kinds metrics label by name (any other is `other`).
pub mod kinds {
    use crate::Job;
    use crate::{documents, privacy, quotes, sms, system};
    use crate::{email, images, imports, maintenance, notifications, payments, reports, shops};

    const fn entry<J: Job>() -> (&'static str, &'static str) {
        (J::KIND, J::QUEUE)
    }

    /// `(kind, queue)` pairs.
    pub const ALL: &[(&str, &str)] = &[
        entry::<documents::RenderOrderDocument>(),
        entry::<email::SendEmail>(),
        entry::<images::ProcessImage>(),
        entry::<imports::RunImport>(),
        entry::<maintenance::Housekeeping>(),
        entry::<maintenance::ShopExpirySweep>(),
        entry::<notifications::FanOutNotification>(),
        entry::<payments::InitiatePayment>(),
        entry::<payments::PaymentSweep>(),
        entry::<payments::ReconcileEvent>(),
        entry::<payments::RefundPayment>(),
        entry::<payments::RequeryPayment>(),
        entry::<privacy::EraseUser>(),
        entry::<privacy::ExportPersonalData>(),
        entry::<quotes::QuoteExpirySweep>(),
        entry::<quotes::RenderQuote>(),
        entry::<reports::GenerateReport>(),
        entry::<reports::PurgeReports>(),
        entry::<shops::ShopSnapshot>(),
        entry::<sms::SendSms>(),
        entry::<system::Ping>(),
    ];
}

/// A job payload. `KIND` names the payload's schema and version (e.g. `email.send.v1`): a
/// breaking change is a new kind, so jobs already queued keep deserialising.
pub trait Job: Serialize + DeserializeOwned + Send + Sync + 'static {
    const KIND: &'static str;
    const QUEUE: &'static str;
}
