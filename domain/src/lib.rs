//! Comptoir's domain: configuration, validated types, and every SQL statement of the system.
//! API handlers and job functions call these functions with a pool or a transaction.

pub mod action_log;
pub mod catalogue;
pub mod categories;
pub mod checkout;
pub mod config;
pub mod consents;
pub mod currencies;
pub mod db;
pub mod deliveries;
pub mod idempotency;
pub mod imports;
pub mod ledger;
pub mod login_throttle;
pub mod money;
pub mod notifications;
pub mod order_documents;
pub mod orders;
pub mod pagination;
pub mod password_resets;
pub mod payments;
pub mod pricing;
pub mod privacy;
pub mod product_images;
pub mod products;
pub mod promotions;
pub mod quotes;
pub mod report_links;
pub mod report_rows;
pub mod reports;
pub mod sessions;
pub mod shops;
pub mod sms;
pub mod telemetry;
pub mod types;
pub mod users;
pub mod work_in_progress;
pub mod worker_processes;

pub use sqlx::{PgPool, Postgres, Transaction};

/// Time-ordered (v7) identifiers for every row.
pub fn new_id() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}

/// The error type of the storage functions: unique-key clashes are told apart so that callers can
/// answer 409 without parsing database messages.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unique constraint `{0}` violated")]
    Conflict(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    pub fn from_sqlx(err: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &err
            && db.is_unique_violation()
        {
            return Self::Conflict(db.constraint().unwrap_or_default().to_owned());
        }
        Self::Database(err)
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
