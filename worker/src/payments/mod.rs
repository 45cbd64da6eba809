//! The `payments` queue: initiating payments with their providers, reconciling provider
//! events and re-queries under a lock on the payment, refunds, and the periodic sweep.

mod initiate;
pub mod providers;
mod reconcile;
mod refund;
mod settlement;
mod sweep;

use sqlx::PgPool;

use comptoir_domain::config::{OrderSettings, PaymentSettings, Settings, SmsSettings};
use comptoir_jobs::Producer;
use comptoir_jobs::catalogue_cache::CatalogueCache;

use providers::{cinetpay::CinetPay, paygate::PayGate, stripe::Stripe};

/// Every payment handler's shared parts. A provider without credentials has no client: its
/// payments cannot be initiated (the API refuses them) and its jobs fail for good.
pub struct PaymentDesk {
    pub pool: PgPool,
    pub producer: Producer,
    pub stripe: Option<Stripe>,
    pub cinetpay: Option<CinetPay>,
    pub paygate: Option<PayGate>,
    pub settings: PaymentSettings,
    pub orders: OrderSettings,
    /// For the "paid" text to phone-only clients.
    pub sms: SmsSettings,
    /// The base URL providers call back and customers return to.
    pub public_url: String,
    /// Cancelled unpaid orders return stock: the catalogue's cached pages are retired.
    pub catalogue: CatalogueCache,
}

impl PaymentDesk {
    pub fn new(
        pool: PgPool,
        producer: Producer,
        catalogue: CatalogueCache,
        all: &Settings,
    ) -> anyhow::Result<Self> {
        let settings = &all.payments;
        Ok(Self {
            pool,
            producer,
            stripe: settings
                .stripe
                .enabled()
                .then(|| Stripe::new(&settings.stripe))
                .transpose()?,
            cinetpay: settings
                .cinetpay
                .enabled()
                .then(|| CinetPay::new(&settings.cinetpay))
                .transpose()?,
            paygate: settings
                .paygate
                .enabled()
                .then(|| PayGate::new(&settings.paygate))
                .transpose()?,
            settings: settings.clone(),
            orders: all.orders.clone(),
            sms: all.sms.clone(),
            public_url: all.server.public_url.trim_end_matches('/').to_owned(),
            catalogue,
        })
    }
}

/// A disabled provider's client, asked for: permanent (configuration, not an outage).
fn disabled(provider: &str) -> crate::error::JobError {
    crate::error::JobError::Permanent(anyhow::anyhow!(
        "payment provider `{provider}` has no credentials in this worker's configuration"
    ))
}
