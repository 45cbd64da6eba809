//! Comptoir's workers: apalis workers on Redis that run jobs recorded in the Postgres ledger.
//!
//! One process serves the queues it is given. A [`consumer`] pops job messages in batches and
//! claims them in the ledger; [`runner`] runs each handler; the [`claims`] book renews leases and
//! records outcomes (and retry schedules) in batches.

mod claims;
mod consumer;
mod dispatch;
pub mod documents;
pub mod email;
mod error;
mod handlers;
mod health;
mod heartbeat;
pub mod images;
mod imports;
mod maintenance;
pub mod notifications;
pub mod payments;
pub mod pdf;
pub mod privacy;
mod process;
pub mod quotes;
pub mod reports;
pub mod retry;
mod runner;
mod scheduler;
pub mod shops;
mod sms;
pub mod snapshots;
mod upkeep;

pub use error::{JobError, JobResult, ResultExt};
pub use process::{WorkerProcess, worker_name};
