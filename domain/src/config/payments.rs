//! `[payments]` and `[orders]`: the payment providers' endpoints and credentials, and how long
//! payments and orders may wait. A provider without credentials is disabled.

use serde::Deserialize;

use super::Secret;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentSettings {
    /// A payment pending this long is re-queried from its provider.
    pub requery_after_secs: u64,
    pub stripe: StripeSettings,
    pub cinetpay: CinetPaySettings,
    pub paygate: PayGateSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StripeSettings {
    pub api_base: String,
    pub secret_key: Secret,
    pub webhook_secret: Secret,
    /// How long one HTTP call to the provider may take.
    pub request_timeout_secs: u64,
    /// How long a payment may stay pending before it expires.
    pub expire_after_mins: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CinetPaySettings {
    pub api_base: String,
    pub api_key: Secret,
    pub site_id: String,
    pub secret_key: Secret,
    /// How long one HTTP call to the provider may take.
    pub request_timeout_secs: u64,
    /// How long a payment may stay pending before it expires.
    pub expire_after_mins: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayGateSettings {
    pub api_base: String,
    pub auth_token: Secret,
    /// How long one HTTP call to the provider may take.
    pub request_timeout_secs: u64,
    /// How long a payment may stay pending before it expires.
    pub expire_after_mins: u64,
}

impl StripeSettings {
    pub fn enabled(&self) -> bool {
        !self.secret_key.expose().is_empty() && !self.webhook_secret.expose().is_empty()
    }
}

impl CinetPaySettings {
    pub fn enabled(&self) -> bool {
        !self.api_key.expose().is_empty()
            && !self.site_id.is_empty()
            && !self.secret_key.expose().is_empty()
    }
}

impl PayGateSettings {
    pub fn enabled(&self) -> bool {
        !self.auth_token.expose().is_empty()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderSettings {
    /// A pending order left unpaid this long is cancelled and its stock returned.
    pub unpaid_timeout_mins: u64,
}
