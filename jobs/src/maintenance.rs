//! Housekeeping jobs started by the cron schedules.

use serde::{Deserialize, Serialize};

use crate::{Job, queues};

/// Prunes old succeeded jobs from the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Housekeeping {
    /// The cron tick that created this job (RFC 3339), for the record.
    pub tick: String,
}

impl Job for Housekeeping {
    const KIND: &'static str = "maintenance.housekeeping.v1";
    const QUEUE: &'static str = queues::MAINTENANCE;
}

/// The hourly shop-expiry sweep: blocks shops whose paid period ended and emails their owners
/// once; reminds owners whose period ends within three days, once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopExpirySweep {
    pub tick: String,
}

impl Job for ShopExpirySweep {
    const KIND: &'static str = "shops.expiry_sweep.v1";
    const QUEUE: &'static str = queues::MAINTENANCE;
}
