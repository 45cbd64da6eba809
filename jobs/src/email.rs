//! Email jobs.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Job, queues};

/// Sends one templated email. `dedupe_key` identifies the message: the worker sends each key once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendEmail {
    pub to: String,
    pub dedupe_key: String,
    pub message: EmailMessage,
}

/// The templates and their variables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum EmailMessage {
    Welcome {
        name: String,
    },
    /// The shop's paid period ended: it is blocked and its products hidden.
    ShopExpired {
        name: String,
        shop_name: String,
    },
    /// An admin skipped (disabled) the shop.
    ShopSkipped {
        name: String,
        shop_name: String,
    },
    /// The shop's paid period ends soon (`end_date` as RFC 3339).
    ShopExpiring {
        name: String,
        shop_name: String,
        end_date: String,
    },
    /// An admin's notification (`POST /v1/notifications`), sent as written.
    Notification {
        subject: String,
        body: String,
    },
    /// An order was placed; amounts in minor units of `currency`.
    OrderConfirmation {
        name: String,
        order_id: Uuid,
        shop_name: String,
        currency: String,
        lines: Vec<OrderEmailLine>,
        subtotal: i64,
        discount: i64,
        total: i64,
    },
    /// An order was paid: the client's receipt. `method` is the provider's name for people
    /// ("Card (Stripe)", "Mobile money (CinetPay)"), `reference` our payment id.
    PaymentReceipt {
        name: String,
        order_id: Uuid,
        shop_name: String,
        currency: String,
        amount: i64,
        method: String,
        reference: String,
    },
    /// A requested report is ready: `url` downloads it until `expires_at` (RFC 3339).
    ReportReady {
        name: String,
        /// The report's title, e.g. "Orders detail".
        title: String,
        format: String,
        period: String,
        url: String,
        expires_at: String,
    },
    /// A seller's offer on a quote: `url` downloads its PDF until `expires_at` (RFC 3339);
    /// `total` and `valid_until` are formatted for people.
    QuoteOffered {
        name: String,
        number: String,
        shop_name: String,
        company_name: String,
        total: String,
        valid_until: String,
        url: String,
        expires_at: String,
    },
    /// A personal data export is ready: `url` downloads the ZIP until `expires_at` (RFC 3339).
    DataExportReady {
        name: String,
        url: String,
        expires_at: String,
    },
}

/// One line of an order confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEmailLine {
    pub name: String,
    pub quantity: i32,
    pub line_total: i64,
}

impl Job for SendEmail {
    const KIND: &'static str = "email.send.v1";
    const QUEUE: &'static str = queues::EMAIL;
}
