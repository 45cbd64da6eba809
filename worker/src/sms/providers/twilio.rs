//! Twilio Programmable Messaging: `POST /2010-04-01/Accounts/{sid}/Messages.json`, a form with
//! HTTP Basic auth, answered 201 with the message resource (`sid`) or an error `{code, message}`.
//! 429 (20429) and 5xx were not processed and are retried; other errors are final.

use reqwest::StatusCode;
use serde_json::Value;

use comptoir_domain::config::TwilioSettings;

use super::{SendError, SendResult, excerpt, read, send};

pub struct Twilio {
    client: reqwest::Client,
    url: String,
    account_sid: String,
    auth_token: String,
    from: String,
    status_callback: String,
}

impl Twilio {
    pub fn new(settings: &TwilioSettings, client: reqwest::Client, public_url: &str) -> Self {
        Self {
            client,
            url: format!(
                "{}/2010-04-01/Accounts/{}/Messages.json",
                settings.api_base.trim_end_matches('/'),
                settings.account_sid
            ),
            account_sid: settings.account_sid.clone(),
            auth_token: settings.auth_token.expose().to_owned(),
            from: settings.from.clone(),
            status_callback: format!("{public_url}/v1/webhooks/sms/twilio"),
        }
    }

    /// Sends `body` to `to`; the message's `sid`.
    pub async fn send(&self, to: &str, body: &str) -> SendResult {
        let form = [
            ("To", to),
            ("From", self.from.as_str()),
            ("Body", body),
            ("StatusCallback", self.status_callback.as_str()),
        ];
        let request = self
            .client
            .post(&self.url)
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .form(&form);
        let (status, body) = read(send(request).await?).await?;
        let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if status.is_success() {
            return answer["sid"].as_str().map(str::to_owned).ok_or_else(|| {
                SendError::Unknown(anyhow::anyhow!("a 2xx without a sid: {}", excerpt(&body)))
            });
        }
        let error = format!(
            "Twilio {} (HTTP {status}): {}",
            answer["code"],
            answer["message"].as_str().unwrap_or(&excerpt(&body))
        );
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            Err(SendError::NotTaken(anyhow::anyhow!(error)))
        } else {
            Err(SendError::Rejected(error))
        }
    }
}
