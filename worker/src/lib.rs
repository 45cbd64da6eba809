//! Comptoir's workers: apalis consumers on Redis that run jobs recorded in the Postgres ledger.
//!
//! One process serves the queues it is given; each job goes through [`runner`], which claims it in
//! the ledger, runs its handler, and records the outcome (and the retry schedule).

mod dispatch;
pub mod email;
mod error;
pub mod images;
mod imports;
mod maintenance;
pub mod notifications;
mod process;
pub mod reports;
pub mod retry;
mod runner;
mod scheduler;
pub mod shops;
pub mod snapshots;

pub use error::{JobError, JobResult, ResultExt};
pub use process::{WorkerProcess, worker_name};
