//! `[payments]` and `[orders]`: the payment providers' endpoints and credentials, and how long
//! payments and orders may wait. A provider without credentials is disabled.

use serde::{Deserialize, Deserializer};

use super::Secret;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentSettings {
    /// A payment pending this long is re-queried from its provider.
    pub requery_after_secs: u64,
    /// The payment sweep (re-query, expiry, unpaid orders) runs this often.
    pub sweep_interval_secs: u64,
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
    /// Digits: environment variables arrive as numbers, so both are taken.
    #[serde(deserialize_with = "string_or_number")]
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

fn string_or_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        String(String),
        Number(u64),
    }
    Ok(match Text::deserialize(deserializer)? {
        Text::String(text) => text,
        Text::Number(number) => number.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::CinetPaySettings;

    #[test]
    fn a_site_id_may_arrive_as_a_number() {
        let settings: CinetPaySettings = serde_json::from_value(serde_json::json!({
            "api_base": "http://x", "api_key": "k", "site_id": 123456, "secret_key": "s",
            "request_timeout_secs": 1, "expire_after_mins": 1
        }))
        .expect("settings");
        assert_eq!(settings.site_id, "123456");
    }
}
