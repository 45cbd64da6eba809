//! Report jobs.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Job, queues};

/// Generates the file of a requested report (`POST /v1/reports`) and emails its link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerateReport {
    pub report_id: Uuid,
}

impl Job for GenerateReport {
    const KIND: &'static str = "reports.generate.v1";
    const QUEUE: &'static str = queues::REPORTS;
}

/// The retention cron: deletes expired report files and rows, once per tick across replicas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurgeReports {
    pub tick: String,
}

impl Job for PurgeReports {
    const KIND: &'static str = "reports.purge.v1";
    const QUEUE: &'static str = queues::REPORTS;
}
