//! Bulk import jobs.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Job, queues};

/// Runs (or resumes) a bulk product import: the import row says what and how far it got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunImport {
    pub import_id: Uuid,
}

impl Job for RunImport {
    const KIND: &'static str = "imports.run.v1";
    const QUEUE: &'static str = queues::IMPORTS;
}
