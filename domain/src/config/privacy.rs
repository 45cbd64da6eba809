//! `[privacy]`: exports of a user's personal data.

use serde::Deserialize;

use super::ConfigError;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacySettings {
    /// How long an export's ZIP is kept, and its emailed link works; the purge deletes it then.
    pub export_ttl_secs: u64,
    /// Exports a user may ask for in 24 hours (each one reads everything they hold).
    pub exports_per_day: u32,
}

pub(super) fn validate(privacy: &PrivacySettings) -> Result<(), ConfigError> {
    if privacy.export_ttl_secs == 0 || privacy.exports_per_day == 0 {
        return Err(ConfigError::Invalid {
            key: "privacy.export_ttl_secs",
            reason: "export_ttl_secs and exports_per_day must be at least 1".to_owned(),
        });
    }
    Ok(())
}
