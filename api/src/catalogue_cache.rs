//! Read-through cache of catalogue answers in Redis (the generation scheme is in
//! `comptoir_jobs::catalogue_cache`). Redis only speeds the catalogue up: when it fails or is
//! slow the request is answered from PostgreSQL, the process logs it and leaves Redis alone for
//! a few seconds rather than making every request wait for it.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};

use comptoir_domain::catalogue::{CatalogueFilter, Sort};
use comptoir_domain::pagination::PageRequest;
use comptoir_jobs::catalogue_cache::{CatalogueCache, Keys};

use crate::degraded::DegradedLog;

/// A cache must not slow a request down: past this, PostgreSQL answers.
const REDIS_BUDGET: Duration = Duration::from_millis(100);
/// After a failure, Redis is not asked again for this long.
const BACK_OFF_SECS: i64 = 5;

/// The cache keys of one catalogue request: digests, since `q` may be long.
pub struct RequestKeys {
    page: String,
    count: String,
}

impl RequestKeys {
    pub fn new(filter: &CatalogueFilter, sort: Sort, page: PageRequest) -> Self {
        // The version keeps a new release from reading pages an older one shaped.
        let filter = format!("{}|{filter:?}", env!("CARGO_PKG_VERSION"));
        let digest = |text: &str| hex::encode(Sha256::digest(text.as_bytes()));
        Self {
            page: format!("page:{}", digest(&format!("{filter}|{sort:?}|{page:?}"))),
            count: format!("count:{}", digest(&filter)),
        }
    }

    fn keys(&self) -> Keys<'_> {
        Keys {
            page: &self.page,
            count: &self.count,
        }
    }
}

pub enum Lookup {
    /// The JSON answer, as served before.
    Hit(Vec<u8>),
    /// To be read from PostgreSQL; `total` is the filter's count when cached. `generation`
    /// is `None` when the cache is off or unreachable (then nothing is stored).
    Miss {
        generation: Option<u64>,
        total: Option<i64>,
    },
}

pub struct PageCache {
    cache: CatalogueCache,
    ttl_secs: u64,
    /// Unix seconds before which Redis is not asked (after a failure).
    skip_until: AtomicI64,
    degraded: DegradedLog,
}

impl PageCache {
    pub fn new(cache: CatalogueCache, ttl_secs: u64) -> Self {
        Self {
            cache,
            ttl_secs,
            skip_until: AtomicI64::new(0),
            degraded: DegradedLog::default(),
        }
    }

    /// Retires every cached page: call after committing a write the catalogue shows.
    pub async fn bump(&self) {
        self.cache.bump().await;
    }

    pub async fn lookup(&self, keys: &RequestKeys) -> Lookup {
        let unavailable = Lookup::Miss {
            generation: None,
            total: None,
        };
        if self.ttl_secs == 0
            || chrono::Utc::now().timestamp() < self.skip_until.load(Ordering::Relaxed)
        {
            return unavailable;
        }
        let keys = keys.keys();
        match self.within_budget(self.cache.lookup(&keys)).await {
            Some(cached) => match cached.page {
                Some(page) => Lookup::Hit(page),
                None => Lookup::Miss {
                    generation: Some(cached.generation),
                    total: cached.total,
                },
            },
            None => unavailable,
        }
    }

    /// Keeps the answer of a [`Lookup::Miss`] for the next requests of its generation.
    pub async fn store(
        &self,
        generation: Option<u64>,
        keys: &RequestKeys,
        page: &[u8],
        total: i64,
    ) {
        if let Some(generation) = generation {
            let keys = keys.keys();
            let stored = self
                .cache
                .store(generation, &keys, page, total, self.ttl_secs);
            self.within_budget(stored).await;
        }
    }

    async fn within_budget<T>(
        &self,
        call: impl Future<Output = Result<T, comptoir_jobs::TransportError>>,
    ) -> Option<T> {
        let why = match tokio::time::timeout(REDIS_BUDGET, call).await {
            Ok(Ok(value)) => return Some(value),
            Ok(Err(err)) => format!("{err:?}"),
            Err(_) => format!("no answer within {REDIS_BUDGET:?}"),
        };
        self.skip_until.store(
            chrono::Utc::now().timestamp() + BACK_OFF_SECS,
            Ordering::Relaxed,
        );
        if self.degraded.due() {
            tracing::warn!(%why, "catalogue cache: Redis unreachable, answering from PostgreSQL");
        }
        None
    }
}
