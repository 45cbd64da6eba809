//! Shipping document jobs.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Job, queues};

/// Renders an order's shipping document (packing slip or delivery note: the `order_documents`
/// row says which) into a PDF in storage. A document already rendered is left alone, so a
/// second run makes nothing new. Served by the report workers: the same PDF writer and fonts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderOrderDocument {
    pub document_id: Uuid,
}

impl Job for RenderOrderDocument {
    const KIND: &'static str = "documents.render.v1";
    const QUEUE: &'static str = queues::REPORTS;
}
