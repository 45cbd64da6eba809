//! CinetPay's v2 checkout: `/v2/payment` initialises (the payment id is the transaction id, so
//! a retry cannot make a second payment) and `/v2/payment/check` says where a payment stands.
//! Codes are strings; amounts are whole units of the currency.

use reqwest::Client;
use serde_json::{Value, json};

use comptoir_domain::config::CinetPaySettings;
use comptoir_domain::money::minor_unit_digits;
use comptoir_domain::payments::PaymentStatus;
use comptoir_domain::payments::settle::Observation;

use super::{ProviderError, ProviderResult, http_client, send, text, transient};

/// Codes meaning "try again later" rather than a refusal.
const UNAVAILABLE: &[&str] = &["603", "804"];
/// The transaction id was registered before: an earlier attempt of ours got through.
pub const ALREADY_USED: &str = "624";

#[derive(Clone)]
pub struct CinetPay {
    http: Client,
    settings: CinetPaySettings,
}

pub struct NewPayment<'a> {
    pub transaction_id: &'a str,
    /// Minor units of `currency`.
    pub amount: i64,
    pub currency: &'a str,
    pub description: &'a str,
    pub notify_url: &'a str,
    pub return_url: &'a str,
    pub phone: Option<&'a str>,
}

pub enum Initialised {
    Created {
        token: String,
        url: String,
    },
    /// [`ALREADY_USED`]: registered by an earlier attempt whose answer was lost.
    AlreadyRegistered,
}

/// Our minor units as CinetPay's whole units; `None` when they do not divide evenly.
fn whole_units(amount: i64, currency: &str) -> Option<i64> {
    let scale = 10_i64.pow(minor_unit_digits(currency));
    (amount % scale == 0).then_some(amount / scale)
}

/// A description CinetPay accepts: without `# / $ _ &`.
fn clean_description(text: &str) -> String {
    text.chars()
        .map(|c| if "#/$_&".contains(c) { ' ' } else { c })
        .take(200)
        .collect()
}

impl CinetPay {
    pub fn new(settings: &CinetPaySettings) -> anyhow::Result<Self> {
        Ok(Self {
            http: http_client(settings.request_timeout_secs)?,
            settings: settings.clone(),
        })
    }

    async fn call(&self, path: &str, body: Value) -> ProviderResult<Value> {
        let request = self
            .http
            .post(format!("{}{path}", self.settings.api_base))
            .json(&body);
        let (_, answer) = send(request).await?;
        Ok(answer)
    }

    pub async fn initialise(&self, new: &NewPayment<'_>) -> ProviderResult<Initialised> {
        let amount = whole_units(new.amount, new.currency).ok_or_else(|| {
            ProviderError::Refused(format!("CinetPay takes whole {} amounts", new.currency))
        })?;
        let mut body = json!({
            "apikey": self.settings.api_key.expose(),
            "site_id": self.settings.site_id,
            "transaction_id": new.transaction_id,
            "amount": amount,
            "currency": new.currency,
            "description": clean_description(new.description),
            "notify_url": new.notify_url,
            "return_url": new.return_url,
            "channels": "ALL",
            "lang": "fr",
            "metadata": new.transaction_id,
        });
        if let Some(phone) = new.phone {
            body["customer_phone_number"] = json!(phone);
        }
        let answer = self.call("/v2/payment", body).await?;
        let code = text(&answer["code"]).unwrap_or_default();
        match code.as_str() {
            "201" => {
                let data = &answer["data"];
                match (data["payment_token"].as_str(), data["payment_url"].as_str()) {
                    (Some(token), Some(url)) => Ok(Initialised::Created {
                        token: token.to_owned(),
                        url: url.to_owned(),
                    }),
                    _ => Err(transient(anyhow::anyhow!(
                        "CinetPay created the payment without a token and URL"
                    ))),
                }
            }
            ALREADY_USED => Ok(Initialised::AlreadyRegistered),
            code if UNAVAILABLE.contains(&code) => Err(transient(anyhow::anyhow!(
                "CinetPay is unavailable ({code} {})",
                message(&answer)
            ))),
            _ => Err(ProviderError::Refused(format!(
                "{code} {}",
                message(&answer)
            ))),
        }
    }

    /// Where the transaction stands. Only `00`/`ACCEPTED` is paid.
    pub async fn check(&self, transaction_id: &str, currency: &str) -> ProviderResult<Observation> {
        let answer = self
            .call(
                "/v2/payment/check",
                json!({
                    "apikey": self.settings.api_key.expose(),
                    "site_id": self.settings.site_id,
                    "transaction_id": transaction_id,
                }),
            )
            .await?;
        let code = text(&answer["code"]).unwrap_or_default();
        let data = &answer["data"];
        let status = match (code.as_str(), data["status"].as_str()) {
            ("00", Some("ACCEPTED")) => PaymentStatus::Succeeded,
            (_, Some("REFUSED")) => PaymentStatus::Failed,
            (_, Some(_)) => PaymentStatus::Pending,
            _ => {
                return Err(transient(anyhow::anyhow!(
                    "CinetPay cannot say where {transaction_id} stands ({code} {})",
                    message(&answer)
                )));
            }
        };
        let scale = 10_i64.pow(minor_unit_digits(currency));
        Ok(Observation {
            status,
            amount: text(&data["amount"])
                .and_then(|amount| amount.trim().parse::<i64>().ok())
                .map(|amount| amount * scale),
            currency: data["currency"].as_str().map(str::to_owned),
            provider_ref: None,
            refunded_total: None,
            reason: (status != PaymentStatus::Succeeded).then(|| message(&answer)),
        })
    }
}

fn message(answer: &Value) -> String {
    answer["description"]
        .as_str()
        .or(answer["message"].as_str())
        .unwrap_or("no message")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_whole_units_of_the_currency() {
        assert_eq!(whole_units(5000, "XOF"), Some(5000));
        assert_eq!(whole_units(1500, "USD"), Some(15));
        assert_eq!(whole_units(1550, "USD"), None);
    }

    #[test]
    fn descriptions_lose_the_characters_cinetpay_refuses() {
        assert_eq!(clean_description("Order #12 / A&B_$"), "Order  12   A B  ");
    }
}
