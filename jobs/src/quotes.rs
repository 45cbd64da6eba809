//! Quote jobs.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Job, queues};

/// Renders the PDF of a quote's offer `version`, stores it and emails the client a signed link.
/// A newer offer supersedes it: an outdated job, or one whose PDF is already stored, does
/// nothing. Served by the report workers: the same PDF writer and fonts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderQuote {
    pub quote_id: Uuid,
    pub version: i32,
}

impl Job for RenderQuote {
    const KIND: &'static str = "quotes.render.v1";
    const QUEUE: &'static str = queues::REPORTS;
}

/// The quote-expiry sweep: offers past their `valid_until` become `expired`, their sellers told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteExpirySweep {
    pub tick: String,
}

impl Job for QuoteExpirySweep {
    const KIND: &'static str = "quotes.expiry_sweep.v1";
    const QUEUE: &'static str = queues::MAINTENANCE;
}
