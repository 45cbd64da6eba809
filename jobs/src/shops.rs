//! Shop jobs.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Job, queues};

/// Writes a backup of a shop and its products to object storage (when an admin skips the shop).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopSnapshot {
    pub shop_id: Uuid,
    /// When the snapshot was requested (RFC 3339); names the file, so a re-run rewrites it.
    pub requested_at: String,
}

impl Job for ShopSnapshot {
    const KIND: &'static str = "shops.snapshot.v1";
    const QUEUE: &'static str = queues::MAINTENANCE;
}
