//! `[catalogue]`: the public catalogue's Redis cache and the time its queries may take.

use serde::Deserialize;

use super::ConfigError;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogueSettings {
    /// Lifetime of a cached page and count; 0 turns the cache off. Writes retire entries at
    /// once (generation bump); the TTL only bounds what a bump lost to a Redis outage leaves.
    pub cache_ttl_secs: u64,
    /// Anonymous catalogue queries are cancelled after this long (503 `query_timeout`).
    pub statement_timeout_ms: u64,
}

pub(super) fn validate(catalogue: &CatalogueSettings) -> Result<(), ConfigError> {
    if catalogue.statement_timeout_ms == 0 {
        // 0 would mean "no timeout" to PostgreSQL.
        return Err(ConfigError::Invalid {
            key: "catalogue.statement_timeout_ms",
            reason: "must be at least 1".to_owned(),
        });
    }
    Ok(())
}
