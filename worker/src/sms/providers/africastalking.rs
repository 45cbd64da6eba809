//! Africa's Talking: `POST /version1/messaging`, a form with the `apiKey` header, answered 201
//! with one entry per recipient. A recipient's refusal comes inside the 2xx (403
//! InvalidPhoneNumber and the like) and is final; 5xx, and a recipient's 500–502, were not sent.

use serde_json::Value;

use comptoir_domain::config::AfricasTalkingSettings;

use super::{SendError, SendResult, excerpt, read, send};

/// Per-recipient codes that mean the message was accepted: Processed, Sent, Queued.
const ACCEPTED: [i64; 3] = [100, 101, 102];
/// Per-recipient gateway errors: nothing went out.
const GATEWAY: [i64; 3] = [500, 501, 502];

pub struct AfricasTalking {
    client: reqwest::Client,
    url: String,
    username: String,
    api_key: String,
    from: String,
}

impl AfricasTalking {
    pub fn new(settings: &AfricasTalkingSettings, client: reqwest::Client) -> Self {
        Self {
            client,
            url: format!(
                "{}/version1/messaging",
                settings.api_base.trim_end_matches('/')
            ),
            username: settings.username.clone(),
            api_key: settings.api_key.expose().to_owned(),
            from: settings.from.clone(),
        }
    }

    /// Sends `body` to `to`; the recipient's `messageId`.
    pub async fn send(&self, to: &str, body: &str) -> SendResult {
        let mut form = vec![
            ("username", self.username.as_str()),
            ("to", to),
            ("message", body),
        ];
        if !self.from.is_empty() {
            form.push(("from", self.from.as_str()));
        }
        let request = self
            .client
            .post(&self.url)
            .header("apiKey", &self.api_key)
            .header("Accept", "application/json")
            .form(&form);
        let (status, body) = read(send(request).await?).await?;
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(SendError::NotTaken(anyhow::anyhow!(
                "Africa's Talking HTTP {status}: {}",
                excerpt(&body)
            )));
        }
        if !status.is_success() {
            // Whole-request errors (a bad key or username) come as plain text.
            return Err(SendError::Rejected(format!(
                "Africa's Talking HTTP {status}: {}",
                excerpt(&body)
            )));
        }
        let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        recipient_outcome(&answer["SMSMessageData"]["Recipients"][0], &body)
    }
}

fn recipient_outcome(recipient: &Value, body: &[u8]) -> SendResult {
    let Some(code) = recipient["statusCode"].as_i64() else {
        return Err(SendError::Unknown(anyhow::anyhow!(
            "a 2xx without a recipient: {}",
            excerpt(body)
        )));
    };
    let status = recipient["status"].as_str().unwrap_or("no status");
    if ACCEPTED.contains(&code) {
        return recipient["messageId"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| SendError::Unknown(anyhow::anyhow!("accepted without a messageId")));
    }
    let error = format!("Africa's Talking {code} {status}");
    if GATEWAY.contains(&code) {
        Err(SendError::NotTaken(anyhow::anyhow!(error)))
    } else {
        Err(SendError::Rejected(error))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_recipient_is_accepted_refused_or_retried_by_its_code() {
        let ok = json!({"statusCode": 101, "status": "Success", "messageId": "ATXid_1"});
        assert_eq!(recipient_outcome(&ok, b"").ok().as_deref(), Some("ATXid_1"));
        let invalid =
            json!({"statusCode": 403, "status": "InvalidPhoneNumber", "messageId": "None"});
        assert!(
            matches!(recipient_outcome(&invalid, b""), Err(SendError::Rejected(m)) if m.contains("InvalidPhoneNumber"))
        );
        let gateway = json!({"statusCode": 501, "status": "GatewayError"});
        assert!(matches!(
            recipient_outcome(&gateway, b""),
            Err(SendError::NotTaken(_))
        ));
    }
}
