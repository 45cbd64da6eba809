//! What every handler can reach.

use std::sync::Arc;

use comptoir_domain::PgPool;
use comptoir_domain::config::Settings;
use comptoir_jobs::{Producer, RedisTransport};
use comptoir_storage::Storage;

use crate::auth::tokens::TokenKeys;
use crate::catalogue_cache::PageCache;
use crate::limits::Limits;
use crate::views::ViewCounter;
use crate::webhook_intake::WebhookIntake;

pub struct AppState {
    pub pool: PgPool,
    pub settings: Arc<Settings>,
    pub tokens: TokenKeys,
    pub producer: Producer,
    /// Stores verified provider events, many deliveries per commit.
    pub webhook_intake: WebhookIntake,
    pub redis: RedisTransport,
    pub limits: Limits,
    /// Catalogue pages in Redis; every write the catalogue shows calls `catalogue.bump()`.
    pub catalogue: PageCache,
    /// Verified against when a login names no account, so both cases take the same time.
    pub dummy_password_hash: String,
    /// Product views, written to Postgres in batches.
    pub views: Arc<ViewCounter>,
    /// Uploads in, produced files (images, reports) out.
    pub storage: Storage,
}
