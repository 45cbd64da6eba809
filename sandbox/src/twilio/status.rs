//! Status callbacks to a message's `StatusCallback`: `sent`, then `delivered` or `undelivered`,
//! each a form signed with `X-Twilio-Signature`.

use chrono::Utc;

use super::API_VERSION;
use super::message::Message;
use crate::callbacks::{Body, Callback};
use crate::signing::hmac_sha1_base64;

/// Twilio's "Unreachable destination handset".
const UNREACHABLE: &str = "30003";

/// How a delivery ends, in Twilio's words.
pub fn final_status(delivered: bool) -> &'static str {
    if delivered {
        "delivered"
    } else {
        "undelivered"
    }
}

/// The two callbacks, in order; none without a `StatusCallback`.
pub fn callbacks(
    message: &Message,
    account_sid: &str,
    sid: &str,
    auth_token: &str,
    delivered: bool,
) -> Vec<Callback> {
    let Some(url) = &message.status_callback else {
        return Vec::new();
    };
    ["sent", final_status(delivered)]
        .into_iter()
        .map(|status| {
            let mut params = params(message, account_sid, sid, status);
            if status != "sent" {
                if !delivered {
                    params.push(("ErrorCode", UNREACHABLE.into()));
                }
                let done = Utc::now().format("%y%m%d%H%M").to_string();
                params.push(("RawDlrDoneDate", done));
            }
            let form = serde_urlencoded::to_string(&params).unwrap_or_default();
            Callback {
                label: format!("twilio {sid} {status}"),
                url: url.clone(),
                body: Some(Body {
                    content_type: "application/x-www-form-urlencoded",
                    bytes: form.into_bytes(),
                }),
                headers: vec![("X-Twilio-Signature", signature(auth_token, url, &params))],
                stripe_secret: None,
            }
        })
        .collect()
}

/// The parameters every callback carries (not in name order: clients must sort to verify).
fn params(
    message: &Message,
    account_sid: &str,
    sid: &str,
    status: &str,
) -> Vec<(&'static str, String)> {
    let mut params = vec![("AccountSid", account_sid.to_owned())];
    if let Some(from) = &message.from {
        params.push(("From", from.clone()));
    }
    if let Some(service) = &message.messaging_service_sid {
        params.push(("MessagingServiceSid", service.clone()));
    }
    params.extend([
        ("To", message.to.clone()),
        ("MessageSid", sid.to_owned()),
        ("MessageStatus", status.to_owned()),
        ("SmsSid", sid.to_owned()),
        ("SmsStatus", status.to_owned()),
        ("ApiVersion", API_VERSION.to_owned()),
    ]);
    params
}

/// base64(HMAC-SHA1(auth token, the URL exactly as given + each parameter's name and value,
/// sorted by name)).
pub fn signature(auth_token: &str, url: &str, params: &[(&str, String)]) -> String {
    let mut sorted: Vec<&(&str, String)> = params.iter().collect();
    sorted.sort();
    let mut signed = url.to_owned();
    for (name, value) in sorted {
        signed.push_str(name);
        signed.push_str(value);
    }
    hmac_sha1_base64(auth_token.as_bytes(), signed.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published vector of PROVIDERS.md §5.3 (given out of order, to show the sorting).
    #[test]
    fn signs_the_documented_vector() {
        let params = [
            ("To", "+18005551212".to_owned()),
            ("Digits", "1234".to_owned()),
            ("CallSid", "CA1234567890ABCDE".to_owned()),
            ("From", "+14158675309".to_owned()),
            ("Caller", "+14158675309".to_owned()),
        ];
        assert_eq!(
            signature(
                "12345",
                "https://mycompany.com/myapp.php?foo=1&bar=2",
                &params
            ),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
    }

    #[test]
    fn reports_an_undelivered_text_with_its_error() {
        let message = Message {
            to: "+22890110000".into(),
            from: Some("Comptoir".into()),
            messaging_service_sid: None,
            body: "Code 123456".into(),
            status_callback: Some("https://shop.test/twilio?k=1".into()),
        };
        let sent = callbacks(&message, "AC1", "SM1", "token", false);
        let forms: Vec<Vec<(String, String)>> = sent
            .iter()
            .filter_map(|c| c.body.as_ref())
            .filter_map(|b| serde_urlencoded::from_bytes(&b.bytes).ok())
            .collect();
        let field = |form: &[(String, String)], name: &str| {
            form.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
        };
        assert_eq!(forms.len(), 2);
        assert_eq!(field(&forms[0], "MessageStatus").as_deref(), Some("sent"));
        assert_eq!(field(&forms[0], "ErrorCode"), None);
        assert_eq!(
            field(&forms[1], "SmsStatus").as_deref(),
            Some("undelivered")
        );
        assert_eq!(field(&forms[1], "ErrorCode").as_deref(), Some("30003"));
        assert_eq!(
            field(&forms[1], "RawDlrDoneDate").map(|d| d.len()),
            Some(10)
        );
        assert!(
            callbacks(
                &Message {
                    status_callback: None,
                    ..message
                },
                "AC1",
                "SM1",
                "t",
                true
            )
            .is_empty()
        );
    }
}
