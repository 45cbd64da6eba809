//! Twilio Programmable Messaging as a client and a status-callback receiver see it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha1::Sha1;

use crate::helpers::{Received, TWILIO_SID, TWILIO_TOKEN, TestSandbox, spawn};

pub fn messages_url(sandbox: &TestSandbox, account_sid: &str) -> String {
    format!(
        "{}/2010-04-01/Accounts/{account_sid}/Messages.json",
        sandbox.base
    )
}

/// Sends a text with the right credentials.
pub async fn send(sandbox: &TestSandbox, form: &[(&str, &str)]) -> reqwest::Response {
    sandbox
        .http
        .post(messages_url(sandbox, TWILIO_SID))
        .basic_auth(TWILIO_SID, Some(TWILIO_TOKEN))
        .form(form)
        .send()
        .await
        .expect("twilio request")
}

async fn error(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["status"], status);
    let code = body["code"].as_u64().expect("numeric code");
    assert_eq!(
        body["more_info"],
        format!("https://www.twilio.com/docs/errors/{code}")
    );
    body
}

/// Checks `X-Twilio-Signature` as Twilio's libraries do: HMAC-SHA1 over the URL as configured
/// and the POSTed parameters sorted by name.
fn verify_signature(callback: &Received, url: &str) {
    let mut params: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&callback.body).expect("form");
    params.sort();
    let mut signed = url.to_owned();
    for (name, value) in &params {
        signed.push_str(name);
        signed.push_str(value);
    }
    let mut mac = Hmac::<Sha1>::new_from_slice(TWILIO_TOKEN.as_bytes()).expect("key");
    mac.update(signed.as_bytes());
    let expected = STANDARD.encode(mac.finalize().into_bytes());
    assert_eq!(
        callback.header("x-twilio-signature"),
        Some(expected.as_str())
    );
}

fn statuses(callbacks: &[Received]) -> Vec<String> {
    callbacks
        .iter()
        .map(|c| c.field("MessageStatus").unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn send_is_queued_then_reported_sent_and_delivered() {
    let sandbox = spawn();
    // The query string is part of what is signed.
    let callback_url = format!("{}/twilio/status?order=42&kind=otp", sandbox.receiver.url);
    let response = send(
        &sandbox,
        &[
            ("To", "+22890112233"),
            ("From", "Comptoir"),
            ("Body", "Votre code Comptoir : 482913"),
            ("StatusCallback", &callback_url),
        ],
    )
    .await;
    assert_eq!(response.status(), 201);
    let message: Value = response.json().await.expect("json");
    let sid = message["sid"].as_str().expect("sid").to_owned();
    assert!(sid.starts_with("SM") && sid.len() == 34, "sid {sid}");
    assert!(sid[2..].chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(message["account_sid"], TWILIO_SID);
    assert_eq!(message["to"], "+22890112233");
    assert_eq!(message["from"], "Comptoir");
    assert_eq!(message["body"], "Votre code Comptoir : 482913");
    assert_eq!(message["status"], "queued");
    assert_eq!(message["num_segments"], "1");
    assert_eq!(message["direction"], "outbound-api");
    assert_eq!(message["api_version"], "2010-04-01");
    for null in ["error_code", "error_message", "price"] {
        assert!(message[null].is_null(), "{null} is {}", message[null]);
    }
    let created = message["date_created"].as_str().expect("date_created");
    assert!(
        created.ends_with(" +0000") && created.contains(", "),
        "RFC 2822: {created}"
    );
    assert_eq!(
        message["uri"],
        format!("/2010-04-01/Accounts/{TWILIO_SID}/Messages/{sid}.json")
    );

    let callbacks = sandbox
        .receiver
        .wait_for("/twilio/status", |c| c.len() >= 2)
        .await;
    assert_eq!(statuses(&callbacks), ["sent", "delivered"]);
    for callback in &callbacks {
        assert_eq!(callback.method, "POST");
        assert_eq!(
            callback.header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
        verify_signature(callback, &callback_url);
        assert_eq!(callback.field("AccountSid").as_deref(), Some(TWILIO_SID));
        assert_eq!(callback.field("MessageSid").as_deref(), Some(sid.as_str()));
        assert_eq!(callback.field("SmsSid").as_deref(), Some(sid.as_str()));
        assert_eq!(callback.field("To").as_deref(), Some("+22890112233"));
        assert_eq!(callback.field("From").as_deref(), Some("Comptoir"));
        assert_eq!(callback.field("ApiVersion").as_deref(), Some("2010-04-01"));
        assert_eq!(callback.field("SmsStatus"), callback.field("MessageStatus"));
        assert_eq!(callback.field("ErrorCode"), None);
    }
    assert_eq!(callbacks[0].field("RawDlrDoneDate"), None);
    let done = callbacks[1]
        .field("RawDlrDoneDate")
        .expect("RawDlrDoneDate");
    assert!(done.len() == 10 && done.chars().all(|c| c.is_ascii_digit()));
}

#[tokio::test]
async fn a_number_ending_in_0000_is_undelivered() {
    let sandbox = spawn();
    let callback_url = format!("{}/twilio/failed", sandbox.receiver.url);
    let response = send(
        &sandbox,
        &[
            ("To", "+22890110000"),
            ("MessagingServiceSid", "MG0123456789abcdef0123456789abcdef"),
            ("Body", "Votre code : 111111"),
            ("StatusCallback", &callback_url),
        ],
    )
    .await;
    assert_eq!(response.status(), 201);
    let message: Value = response.json().await.expect("json");
    // With a Messaging Service Twilio has not picked a sender yet.
    assert_eq!(message["status"], "accepted");
    assert!(message["from"].is_null());

    let callbacks = sandbox
        .receiver
        .wait_for("/twilio/failed", |c| c.len() >= 2)
        .await;
    assert_eq!(statuses(&callbacks), ["sent", "undelivered"]);
    assert_eq!(callbacks[0].field("ErrorCode"), None);
    assert_eq!(callbacks[1].field("ErrorCode").as_deref(), Some("30003"));
    assert_eq!(
        callbacks[1].field("MessagingServiceSid").as_deref(),
        Some("MG0123456789abcdef0123456789abcdef")
    );
    for callback in &callbacks {
        verify_signature(callback, &callback_url);
    }
    let texts = sandbox.texts(Some("+22890110000")).await;
    assert_eq!(texts.len(), 1);
    assert_eq!(texts[0]["status"], "undelivered");
    assert_eq!(texts[0]["id"], message["sid"]);
}

#[tokio::test]
async fn bad_credentials_and_parameters_get_twilio_errors() {
    let sandbox = spawn();
    let form = [("To", "+22890112233"), ("From", "Comptoir"), ("Body", "x")];
    let attempts = [
        (TWILIO_SID, TWILIO_SID, Some("wrong-token")),
        (TWILIO_SID, "ACother", Some(TWILIO_TOKEN)),
        ("ACother", TWILIO_SID, Some(TWILIO_TOKEN)),
    ];
    for (path_sid, user, token) in attempts {
        let response = sandbox
            .http
            .post(messages_url(&sandbox, path_sid))
            .basic_auth(user, token)
            .form(&form)
            .send()
            .await
            .expect("post");
        let body = error(response, 401).await;
        assert_eq!(body["code"], 20003);
        assert_eq!(body["message"], "Authenticate");
    }
    let anonymous = sandbox
        .http
        .post(messages_url(&sandbox, TWILIO_SID))
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(error(anonymous, 401).await["code"], 20003);

    let invalid_to = send(
        &sandbox,
        &[("To", "90112233"), ("From", "C"), ("Body", "x")],
    )
    .await;
    let body = error(invalid_to, 400).await;
    assert_eq!(body["code"], 21211);
    assert_eq!(
        body["message"],
        "The 'To' number 90112233 is not a valid phone number."
    );
    let no_sender = send(&sandbox, &[("To", "+22890112233"), ("Body", "x")]).await;
    assert_eq!(error(no_sender, 400).await["code"], 21603);
    let no_body = send(&sandbox, &[("To", "+22890112233"), ("From", "C")]).await;
    assert_eq!(error(no_body, 400).await["code"], 21602);
    let long = "a".repeat(1601);
    let too_long = send(
        &sandbox,
        &[("To", "+22890112233"), ("From", "C"), ("Body", &long)],
    )
    .await;
    assert_eq!(error(too_long, 400).await["code"], 21617);
    assert!(
        sandbox.texts(None).await.is_empty(),
        "refused texts are not kept"
    );
}
