//! `[sms]` and `[otp]`: where text messages go (providers, routing by country prefix, the
//! countries we send to at all) and how one-time codes are issued and limited.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use super::Secret;

/// A value an environment variable may have turned into a number: figment reads
/// `COMPTOIR__SMS__TWILIO__FROM=+15005550006` as the integer 15005550006.
#[derive(Deserialize)]
#[serde(untagged)]
enum TextOrNumber {
    Text(String),
    Number(u64),
}

/// An E.164 number (or a sender name), restoring the `+` a number read from the environment
/// lost.
fn e164_or_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(match TextOrNumber::deserialize(deserializer)? {
        TextOrNumber::Text(text) => text,
        TextOrNumber::Number(number) => format!("+{number}"),
    })
}

/// A short code (digits) or a sender name, as written.
fn digits_or_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(match TextOrNumber::deserialize(deserializer)? {
        TextOrNumber::Text(text) => text,
        TextOrNumber::Number(number) => number.to_string(),
    })
}

/// E.164 prefixes, each as [`e164_or_text`] reads it.
fn prefixes<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    struct Prefix(#[serde(deserialize_with = "e164_or_text")] String);
    let prefixes = Vec::<Prefix>::deserialize(deserializer)?;
    Ok(prefixes.into_iter().map(|Prefix(prefix)| prefix).collect())
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsSettings {
    /// E.164 prefixes we send to (e.g. "+228"); anything else is refused with
    /// `phone_not_allowed`, the first defence against SMS pumping.
    #[serde(deserialize_with = "prefixes")]
    pub allowed_prefixes: Vec<String>,
    /// Provider per destination prefix, longest prefix first; `"*"` is the default route.
    /// Providers: `twilio`, `africastalking`, `log` (writes to the log, for development).
    pub routes: BTreeMap<String, String>,
    /// Where a message goes after `fallback_after` transient failures at its routed provider
    /// (empty: no fallback).
    pub fallback_provider: String,
    pub fallback_after: u32,
    /// Shown as the sender where the provider allows an alphanumeric sender.
    pub sender_name: String,
    /// Language of order messages to users without a locale: `fr` or `en`.
    pub default_locale: String,
    pub request_timeout_secs: u64,
    pub twilio: TwilioSettings,
    pub africastalking: AfricasTalkingSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioSettings {
    pub api_base: String,
    pub account_sid: String,
    /// Also the key of `X-Twilio-Signature` on delivery reports.
    pub auth_token: Secret,
    /// A number, short code or alphanumeric sender id.
    #[serde(deserialize_with = "e164_or_text")]
    pub from: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AfricasTalkingSettings {
    pub api_base: String,
    pub username: String,
    pub api_key: Secret,
    /// An approved sender id or short code; empty uses the account's default.
    #[serde(deserialize_with = "digits_or_text")]
    pub from: String,
}

impl TwilioSettings {
    pub fn enabled(&self) -> bool {
        !self.account_sid.is_empty() && !self.auth_token.expose().is_empty()
    }
}

impl AfricasTalkingSettings {
    pub fn enabled(&self) -> bool {
        !self.username.is_empty() && !self.api_key.expose().is_empty()
    }
}

impl SmsSettings {
    /// Whether we send to `phone` (E.164) at all.
    pub fn allows(&self, phone: &str) -> bool {
        self.allowed_prefixes
            .iter()
            .any(|prefix| phone.starts_with(prefix.as_str()))
    }

    /// The provider routed for `phone`: the longest matching prefix, else `"*"`, else `log`.
    pub fn route(&self, phone: &str) -> &str {
        self.routes
            .iter()
            .filter(|(prefix, _)| prefix.as_str() != "*" && phone.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len())
            .or_else(|| self.routes.get_key_value("*"))
            .map_or("log", |(_, provider)| provider.as_str())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtpSettings {
    /// Key of HMAC(pepper, phone|purpose|code): the only form in which a code is stored.
    pub pepper: Secret,
    pub ttl_secs: u64,
    /// Wrong guesses that kill a code (a resend does not reset them).
    pub max_attempts: u32,
    /// Least time between two sends to one phone for one purpose.
    pub cooldown_secs: u64,
    pub max_sends_per_hour: u32,
    pub max_sends_per_ip_per_hour: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(routes: &[(&str, &str)]) -> SmsSettings {
        SmsSettings {
            allowed_prefixes: vec!["+228".into(), "+225".into()],
            routes: routes
                .iter()
                .map(|(p, v)| ((*p).to_owned(), (*v).to_owned()))
                .collect(),
            fallback_provider: String::new(),
            fallback_after: 3,
            sender_name: "Comptoir".into(),
            default_locale: "fr".into(),
            request_timeout_secs: 10,
            twilio: TwilioSettings {
                api_base: String::new(),
                account_sid: String::new(),
                auth_token: Secret::default(),
                from: String::new(),
            },
            africastalking: AfricasTalkingSettings {
                api_base: String::new(),
                username: String::new(),
                api_key: Secret::default(),
                from: String::new(),
            },
        }
    }

    #[test]
    fn the_longest_prefix_routes_and_star_is_the_default() {
        let sms = settings(&[
            ("+228", "africastalking"),
            ("+2289", "twilio"),
            ("*", "twilio"),
        ]);
        assert_eq!(sms.route("+22870000000"), "africastalking");
        assert_eq!(sms.route("+22890000000"), "twilio");
        assert_eq!(sms.route("+22507000000"), "twilio");
        assert_eq!(settings(&[]).route("+22507000000"), "log");
    }

    #[test]
    fn only_allowed_prefixes_are_sent_to() {
        let sms = settings(&[]);
        assert!(sms.allows("+22890000000"));
        assert!(!sms.allows("+88212345678"));
    }

    #[test]
    fn numbers_read_from_the_environment_keep_their_plus() {
        // What figment hands over for COMPTOIR__SMS__TWILIO__FROM=+15005550006 and friends.
        let twilio: TwilioSettings = serde_json::from_value(serde_json::json!({
            "api_base": "", "account_sid": "", "auth_token": "", "from": 15005550006_u64,
        }))
        .expect("twilio settings");
        assert_eq!(twilio.from, "+15005550006");
        let at: AfricasTalkingSettings = serde_json::from_value(serde_json::json!({
            "api_base": "", "username": "", "api_key": "", "from": 20880,
        }))
        .expect("africa's talking settings");
        assert_eq!(at.from, "20880", "a short code stays digits");
        #[derive(Deserialize)]
        struct Prefixes(#[serde(deserialize_with = "prefixes")] Vec<String>);
        let Prefixes(list) =
            serde_json::from_value(serde_json::json!([228, "+225"])).expect("prefixes");
        assert_eq!(list, ["+228", "+225"]);
    }
}
