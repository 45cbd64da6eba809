//! Africa's Talking's SMS API as a client and a delivery-report receiver see it.

use serde_json::Value;

use crate::helpers::{AT_API_KEY, AT_USERNAME, Received, TestSandbox, spawn};

/// Sends `message` to `to` (comma-joined) with the right credentials.
pub async fn send(sandbox: &TestSandbox, to: &str, message: &str) -> reqwest::Response {
    sandbox
        .http
        .post(format!("{}/version1/messaging", sandbox.base))
        .header("apiKey", AT_API_KEY)
        .header("Accept", "application/json")
        .form(&[
            ("username", AT_USERNAME),
            ("to", to),
            ("message", message),
            ("from", "COMPTOIR"),
            ("bulkSMSMode", "1"),
        ])
        .send()
        .await
        .expect("africastalking request")
}

fn reports_for<'a>(reports: &'a [Received], id: &str) -> Vec<&'a Received> {
    reports
        .iter()
        .filter(|r| r.field("id").as_deref() == Some(id))
        .collect()
}

#[tokio::test]
async fn sends_per_recipient_and_reports_delivery() {
    let sandbox = spawn();
    let response = send(
        &sandbox,
        "+22890112233,22899,+22891110000",
        "Votre code Comptoir : 553311",
    )
    .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.expect("json");
    let data = &body["SMSMessageData"];
    assert_eq!(data["Message"], "Sent to 2/3 Total Cost: XOF 50.0000");
    let recipients = data["Recipients"].as_array().expect("Recipients");
    assert_eq!(recipients.len(), 3);
    let sent = &recipients[0];
    assert_eq!(sent["statusCode"], 101);
    assert_eq!(sent["status"], "Success");
    assert_eq!(sent["number"], "+22890112233");
    assert_eq!(sent["cost"], "XOF 25.0000");
    let id = sent["messageId"].as_str().expect("messageId").to_owned();
    let hex = id.strip_prefix("ATXid_").expect("ATXid_ prefix");
    assert!(hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit()));
    let invalid = &recipients[1];
    assert_eq!(invalid["statusCode"], 403);
    assert_eq!(invalid["status"], "InvalidPhoneNumber");
    assert_eq!(invalid["number"], "22899");
    assert_eq!(invalid["cost"], "0");
    assert_eq!(invalid["messageId"], "None");
    let failing_id = recipients[2]["messageId"].as_str().expect("id").to_owned();
    assert_eq!(recipients[2]["status"], "Success", "accepted, fails later");

    let reports = sandbox
        .receiver
        .wait_for("/africastalking", |r| r.len() >= 4)
        .await;
    let delivered = reports_for(&reports, &id);
    let statuses: Vec<_> = delivered.iter().map(|r| r.field("status")).collect();
    assert_eq!(statuses, [Some("Submitted".into()), Some("Success".into())]);
    for report in &delivered {
        assert_eq!(
            report.header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(report.field("phoneNumber").as_deref(), Some("+22890112233"));
        assert!(report.field("networkCode").is_some());
        assert_eq!(report.field("failureReason"), None);
    }
    let failed = reports_for(&reports, &failing_id);
    let statuses: Vec<_> = failed.iter().map(|r| r.field("status")).collect();
    assert_eq!(statuses, [Some("Submitted".into()), Some("Failed".into())]);
    assert_eq!(
        failed[1].field("failureReason").as_deref(),
        Some("DeliveryFailure")
    );

    let texts = sandbox.texts(None).await;
    let kept: Vec<(&Value, &Value, &Value)> = texts
        .iter()
        .map(|t| (&t["to"], &t["status"], &t["from"]))
        .collect();
    assert_eq!(
        kept,
        [
            (
                &"+22890112233".into(),
                &"Success".into(),
                &"COMPTOIR".into()
            ),
            (&"+22891110000".into(), &"Failed".into(), &"COMPTOIR".into()),
        ]
    );
}

#[tokio::test]
async fn whole_request_errors_are_plain_text() {
    let sandbox = spawn();
    let url = format!("{}/version1/messaging", sandbox.base);
    let form = [
        ("username", AT_USERNAME),
        ("to", "+22890112233"),
        ("message", "x"),
    ];
    let wrong_key = sandbox
        .http
        .post(&url)
        .header("apiKey", "nope")
        .header("Accept", "application/json")
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(wrong_key.status(), 401);
    assert!(
        wrong_key.headers()["content-type"]
            .to_str()
            .expect("content-type")
            .starts_with("text/plain")
    );
    assert_eq!(
        wrong_key.text().await.expect("text"),
        "The supplied authentication is invalid"
    );
    let wrong_user = sandbox
        .http
        .post(&url)
        .header("apiKey", AT_API_KEY)
        .header("Accept", "application/json")
        .form(&[
            ("username", "other"),
            ("to", "+22890112233"),
            ("message", "x"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(wrong_user.status(), 401);
    let no_accept = sandbox
        .http
        .post(&url)
        .header("apiKey", AT_API_KEY)
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(no_accept.status(), 406);
    let no_message = send(&sandbox, "+22890112233", "").await;
    assert_eq!(no_message.status(), 400);
    assert!(
        sandbox.texts(None).await.is_empty(),
        "refused texts are not kept"
    );
}
