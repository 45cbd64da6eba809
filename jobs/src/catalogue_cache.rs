//! The catalogue cache in Redis, shared by the API (which reads and fills it) and the workers
//! (whose sweeps, imports and image pipeline change what the catalogue shows).
//!
//! Every entry's key holds the catalogue *generation*, a counter each write path bumps (`INCR`)
//! after its commit: the next read looks under the new generation, so nobody is served a page
//! from before the write. Old generations are never deleted; they expire with their TTL, which
//! is also the safety net for a bump lost while Redis was unreachable.

use redis::Script;
use std::sync::LazyLock;

use crate::{RedisTransport, TransportError};

const GENERATION: &str = "catalogue:generation";

/// The generation, then the page and the count of this generation, in one round trip. Keys of
/// a generation are only known once it is read, hence built here (one Redis, no cluster).
static LOOKUP: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local generation = redis.call('GET', KEYS[1]) or '0'
local prefix = ARGV[1] .. generation .. ':'
return {generation, redis.call('GET', prefix .. ARGV[2]), redis.call('GET', prefix .. ARGV[3])}
",
    )
});

/// What the cache holds for one request (`None`: not cached in this generation).
#[derive(Debug)]
pub struct Cached {
    pub generation: u64,
    pub page: Option<Vec<u8>>,
    pub total: Option<i64>,
}

/// The keys of one request: its page (filter, sort and page) and its filter's count.
pub struct Keys<'a> {
    pub page: &'a str,
    pub count: &'a str,
}

#[derive(Clone)]
pub struct CatalogueCache {
    redis: RedisTransport,
}

impl CatalogueCache {
    pub fn new(redis: RedisTransport) -> Self {
        Self { redis }
    }

    fn prefix(&self) -> String {
        self.redis.namespaced("catalogue:")
    }

    /// Called after the commit of any write that changes what the catalogue shows. Never fails
    /// the write: a lost bump is logged, and the entries it should have retired expire with
    /// their TTL.
    pub async fn bump(&self) {
        if let Err(err) = self.try_bump().await {
            tracing::warn!(error = %err, "catalogue cache: generation not bumped; stale pages expire with their TTL");
        }
    }

    async fn try_bump(&self) -> Result<(), TransportError> {
        let mut redis = self.redis.connection().await?;
        let _: u64 = crate::transport::timed(
            redis::cmd("INCR")
                .arg(self.redis.namespaced(GENERATION))
                .query_async(&mut redis),
        )
        .await?;
        Ok(())
    }

    pub async fn lookup(&self, keys: &Keys<'_>) -> Result<Cached, TransportError> {
        let mut redis = self.redis.connection().await?;
        let (generation, page, total): (u64, Option<Vec<u8>>, Option<i64>) =
            crate::transport::timed(
                LOOKUP
                    .key(self.redis.namespaced(GENERATION))
                    .arg(self.prefix())
                    .arg(keys.page)
                    .arg(keys.count)
                    .invoke_async(&mut redis),
            )
            .await?;
        Ok(Cached {
            generation,
            page,
            total,
        })
    }

    /// Stores a page and its filter's count under `generation` (the one [`Self::lookup`] read,
    /// so a bump in between leaves them unread), for `ttl_secs`.
    pub async fn store(
        &self,
        generation: u64,
        keys: &Keys<'_>,
        page: &[u8],
        total: i64,
        ttl_secs: u64,
    ) -> Result<(), TransportError> {
        let prefix = format!("{}{generation}:", self.prefix());
        let mut redis = self.redis.connection().await?;
        crate::transport::timed(
            redis::pipe()
                .set_ex(format!("{prefix}{}", keys.page), page, ttl_secs)
                .ignore()
                .set_ex(format!("{prefix}{}", keys.count), total, ttl_secs)
                .ignore()
                .query_async::<()>(&mut redis),
        )
        .await
    }
}
