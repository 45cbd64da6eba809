//! PayGate Global (Togo): `/api/v1/pay` registers a request the customer approves on their
//! phone (the payment id is the identifier; a second registration is refused as a duplicate),
//! `/api/v2/status` says where it stands. XOF only, whole francs.

use reqwest::Client;
use serde_json::{Value, json};

use comptoir_domain::config::PayGateSettings;
use comptoir_domain::payments::PaymentStatus;
use comptoir_domain::payments::settle::Observation;

use super::{ProviderError, ProviderResult, http_client, send, text, transient};

#[derive(Clone)]
pub struct PayGate {
    http: Client,
    settings: PayGateSettings,
}

/// The mobile network of a Togolese number (`+228` and 8 digits): Moov's Flooz or Togocel's
/// T-Money, by the number's first two digits.
pub fn network(phone: &str) -> Option<&'static str> {
    let local = phone.strip_prefix("+228")?;
    if local.len() != 8 || !local.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    match &local[..2] {
        "70" | "71" | "72" | "73" | "90" | "91" | "92" | "93" => Some("TMONEY"),
        "78" | "79" | "96" | "97" | "98" | "99" => Some("FLOOZ"),
        _ => None,
    }
}

pub struct NewRequest<'a> {
    pub identifier: &'a str,
    pub amount: i64,
    pub currency: &'a str,
    pub phone: &'a str,
    pub description: &'a str,
}

impl PayGate {
    pub fn new(settings: &PayGateSettings) -> anyhow::Result<Self> {
        Ok(Self {
            http: http_client(settings.request_timeout_secs)?,
            settings: settings.clone(),
        })
    }

    async fn call(
        &self,
        path: &str,
        mut body: Value,
    ) -> ProviderResult<(reqwest::StatusCode, Value)> {
        body["auth_token"] = json!(self.settings.auth_token.expose());
        send(
            self.http
                .post(format!("{}{path}", self.settings.api_base))
                .json(&body),
        )
        .await
    }

    /// Registers the request; returns PayGate's `tx_reference`.
    pub async fn pay(&self, new: &NewRequest<'_>) -> ProviderResult<String> {
        if new.currency != "XOF" {
            return Err(ProviderError::Refused(format!(
                "PayGate takes XOF only, not {}",
                new.currency
            )));
        }
        let network = network(new.phone).ok_or_else(|| {
            ProviderError::Refused(format!(
                "{} is not a Flooz or T-Money number (+228 and 8 digits)",
                new.phone
            ))
        })?;
        let (_, answer) = self
            .call(
                "/api/v1/pay",
                json!({
                    "phone_number": new.phone.trim_start_matches('+'),
                    "amount": new.amount,
                    "description": new.description,
                    "identifier": new.identifier,
                    "network": network,
                }),
            )
            .await?;
        match answer["status"].as_i64() {
            Some(0) => text(&answer["tx_reference"]).ok_or_else(|| {
                transient(anyhow::anyhow!("PayGate registered without a tx_reference"))
            }),
            // Registered by an earlier attempt whose answer was lost: look it up.
            Some(6) => self.reference_of(new.identifier).await,
            Some(2) => Err(transient(anyhow::anyhow!(
                "PayGate rejected the auth token"
            ))),
            Some(4) => Err(ProviderError::Refused(
                "PayGate refused the request's parameters".into(),
            )),
            other => Err(transient(anyhow::anyhow!(
                "PayGate answered an unknown status {other:?}"
            ))),
        }
    }

    async fn status(&self, identifier: &str) -> ProviderResult<Value> {
        let (status, answer) = self
            .call("/api/v2/status", json!({"identifier": identifier}))
            .await?;
        if !status.is_success() || answer.get("status").is_none() {
            return Err(transient(anyhow::anyhow!(
                "PayGate has no status for {identifier} (HTTP {status})"
            )));
        }
        Ok(answer)
    }

    async fn reference_of(&self, identifier: &str) -> ProviderResult<String> {
        text(&self.status(identifier).await?["tx_reference"])
            .ok_or_else(|| transient(anyhow::anyhow!("PayGate's status has no tx_reference")))
    }

    /// Where the request stands: 0 paid, 2 waiting, 4 expired, 6 cancelled.
    pub async fn check(&self, identifier: &str) -> ProviderResult<Observation> {
        let answer = self.status(identifier).await?;
        let status = match answer["status"].as_i64() {
            Some(0) => PaymentStatus::Succeeded,
            Some(4) => PaymentStatus::Expired,
            Some(6) => PaymentStatus::Cancelled,
            _ => PaymentStatus::Pending,
        };
        Ok(Observation {
            status,
            amount: text(&answer["amount"]).and_then(|amount| amount.parse().ok()),
            // PayGate has one currency and does not name it.
            currency: Some("XOF".to_owned()),
            provider_ref: text(&answer["tx_reference"]),
            refunded_total: None,
            reason: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::network;

    #[test]
    fn togolese_numbers_map_to_their_network() {
        assert_eq!(network("+22890112233"), Some("TMONEY"));
        assert_eq!(network("+22899112233"), Some("FLOOZ"));
        assert_eq!(network("+22880112233"), None);
        assert_eq!(network("+2259011223"), None);
        assert_eq!(network("+33612345678"), None);
    }
}
