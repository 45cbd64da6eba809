//! `[rate_limits]`: request budgets that fit real traffic. A server-side frontend or a carrier
//! NAT puts many users behind one IP, so credentials are limited per account as well as per
//! client IP, signed-in calls per user, and only anonymous calls per IP.

use ipnet::IpNet;
use serde::Deserialize;

use super::ConfigError;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Proxies (CIDRs) whose `X-Forwarded-For` / `Forwarded` header names the client. Any other
    /// peer is the client itself, whatever it sends.
    pub trusted_proxies: Vec<IpNet>,
    /// Login, registration, code and reset attempts per account (email or phone) per minute.
    pub credentials_per_account_per_minute: u32,
    /// The same attempts per client IP per minute, whatever the accounts.
    pub credentials_per_ip_per_minute: u32,
    /// Token-authenticated requests per user per minute.
    pub user_per_minute: u32,
    /// Requests without a token per client IP per minute (webhooks and health excluded).
    pub anonymous_per_ip_per_minute: u32,
}

pub(super) fn validate(limits: &RateLimitSettings) -> Result<(), ConfigError> {
    let budgets = [
        limits.credentials_per_account_per_minute,
        limits.credentials_per_ip_per_minute,
        limits.user_per_minute,
        limits.anonymous_per_ip_per_minute,
    ];
    if budgets.contains(&0) {
        return Err(ConfigError::Invalid {
            key: "rate_limits",
            reason: "every budget must be at least 1 request per minute".to_owned(),
        });
    }
    Ok(())
}
