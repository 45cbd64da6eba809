//! Outages of the SMS providers' APIs, and the payment providers' names still accepted.

use serde_json::json;

use crate::helpers::spawn;
use crate::{africastalking, twilio};

#[tokio::test]
async fn a_twilio_outage_fails_two_sends_then_recovers() {
    let sandbox = spawn();
    let started = sandbox
        .fault(json!({"provider": "twilio", "status": 503, "count": 2}))
        .await;
    assert_eq!(started.status(), 200);
    let form = [
        ("To", "+22890112233"),
        ("From", "Comptoir"),
        ("Body", "Code 1"),
    ];
    assert_eq!(twilio::send(&sandbox, &form).await.status(), 503);
    // Other APIs are not hit by Twilio's outage.
    let other = africastalking::send(&sandbox, "+22890112233", "Code 2").await;
    assert_eq!(other.status(), 201);
    assert_eq!(twilio::send(&sandbox, &form).await.status(), 503);
    assert_eq!(twilio::send(&sandbox, &form).await.status(), 201);
    let bodies: Vec<_> = sandbox
        .texts(None)
        .await
        .iter()
        .map(|t| t["body"].clone())
        .collect();
    assert_eq!(bodies, [json!("Code 2"), json!("Code 1")]);
}

#[tokio::test]
async fn outages_take_every_provider_name() {
    let sandbox = spawn();
    for provider in ["stripe", "cinetpay", "paygate", "twilio", "africastalking"] {
        let started = sandbox
            .fault(json!({"provider": provider, "status": 500, "count": 1}))
            .await;
        assert_eq!(started.status(), 200, "{provider}");
        let body: serde_json::Value = started.json().await.expect("json");
        assert_eq!(body["provider"], provider);
    }
    let outage = africastalking::send(&sandbox, "+22890112233", "x").await;
    assert_eq!(outage.status(), 500);
    let unknown = sandbox
        .fault(json!({"provider": "fedapay", "status": 500, "count": 1}))
        .await;
    assert_eq!(unknown.status(), 400);
}
