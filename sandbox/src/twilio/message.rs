//! The parameters of `POST …/Messages.json`, checked as Twilio checks them, and the message
//! resource it answers with.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::API_VERSION;
use super::error::TwilioError;
use crate::sms::{self, Form};

/// Twilio refuses longer bodies (they would be more than 10 segments).
const MAX_BODY_CHARS: usize = 1600;

pub struct Message {
    pub to: String,
    pub from: Option<String>,
    pub messaging_service_sid: Option<String>,
    pub body: String,
    pub status_callback: Option<String>,
}

impl Message {
    pub fn parse(form: &Form) -> Result<Self, TwilioError> {
        let owned = |key: &str| form.get(key).map(str::to_owned);
        let to = owned("To")
            .ok_or_else(|| TwilioError::invalid(21604, "A 'To' phone number is required."))?;
        if !sms::is_e164(&to) {
            return Err(TwilioError::invalid(
                21211,
                format!("The 'To' number {to} is not a valid phone number."),
            ));
        }
        let from = owned("From");
        let messaging_service_sid = owned("MessagingServiceSid");
        if from.is_none() && messaging_service_sid.is_none() {
            return Err(TwilioError::invalid(
                21603,
                "A 'From' or 'MessagingServiceSid' parameter is required to send a message",
            ));
        }
        let body = owned("Body")
            .ok_or_else(|| TwilioError::invalid(21602, "Message body is required."))?;
        if body.chars().count() > MAX_BODY_CHARS {
            return Err(TwilioError::invalid(
                21617,
                "The concatenated message body exceeds the 1600 character limit.",
            ));
        }
        let status_callback = owned("StatusCallback");
        if let Some(url) = &status_callback
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(TwilioError::invalid(
                21609,
                format!("The StatusCallback URL {url} is not a valid URL."),
            ));
        }
        Ok(Self {
            to,
            from,
            messaging_service_sid,
            body,
            status_callback,
        })
    }

    /// Who the phone shows as the sender: the number or sender id, else the service.
    pub fn sender(&self) -> &str {
        self.from
            .as_deref()
            .or(self.messaging_service_sid.as_deref())
            .unwrap_or_default()
    }

    /// The 201's body. With a Messaging Service Twilio has not picked a sender yet: the message
    /// is `accepted` with 0 segments; otherwise it is `queued`.
    pub fn resource(&self, account_sid: &str, sid: &str, created: DateTime<Utc>) -> Value {
        let (status, segments) = match self.messaging_service_sid {
            Some(_) => ("accepted", 0),
            None => ("queued", sms::segments(&self.body)),
        };
        let uri = format!("/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}");
        let date = created.to_rfc2822();
        json!({
            "account_sid": account_sid, "api_version": API_VERSION, "body": self.body,
            "date_created": date, "date_sent": null, "date_updated": date,
            "direction": "outbound-api", "error_code": null, "error_message": null,
            "from": self.from, "messaging_service_sid": self.messaging_service_sid,
            "num_media": "0", "num_segments": segments.to_string(), "price": null,
            "price_unit": "USD", "sid": sid, "status": status,
            "subresource_uris": {"media": format!("{uri}/Media.json")},
            "to": self.to, "uri": format!("{uri}.json"),
        })
    }
}
