//! Personal data jobs.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Job, queues};

/// Writes the ZIP of everything held about the export's user, stores it and emails them a
/// signed link. An export already finished is left alone. Served by the report workers, which
/// stream files to storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportPersonalData {
    pub export_id: Uuid,
}

impl Job for ExportPersonalData {
    const KIND: &'static str = "privacy.export.v1";
    const QUEUE: &'static str = queues::REPORTS;
}

/// Replaces the user's personal data everywhere with anonymous values and deletes their stored
/// files. It carries only the id: the ledger keeps no personal value. Idempotent, and resumable
/// after a crash at any point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EraseUser {
    pub user_id: Uuid,
}

impl Job for EraseUser {
    const KIND: &'static str = "privacy.erase.v1";
    const QUEUE: &'static str = queues::MAINTENANCE;
}
