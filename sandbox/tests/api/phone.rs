//! The phone inbox: what tests read codes from, and the page a person reads them on.

use crate::helpers::spawn;
use crate::{africastalking, twilio};

#[tokio::test]
async fn inbox_lists_texts_by_number_and_the_page_escapes_them() {
    let sandbox = spawn();
    let otp = "+22890112233";
    let other = "+22891234567";
    let sent = twilio::send(
        &sandbox,
        &[("To", otp), ("From", "Comptoir"), ("Body", "Code 111111")],
    )
    .await;
    assert_eq!(sent.status(), 201);
    let sent = africastalking::send(&sandbox, other, "<b>Commande</b> & co").await;
    assert_eq!(sent.status(), 201);
    let sent = africastalking::send(&sandbox, otp, "Code 222222").await;
    assert_eq!(sent.status(), 201);

    let texts = sandbox.texts(Some(otp)).await;
    let bodies: Vec<&str> = texts.iter().filter_map(|t| t["body"].as_str()).collect();
    assert_eq!(bodies, ["Code 111111", "Code 222222"], "newest last");
    assert_eq!(texts[0]["provider"], "twilio");
    assert_eq!(texts[0]["status"], "delivered");
    assert!(texts[0]["id"].as_str().expect("id").starts_with("SM"));
    assert_eq!(texts[1]["provider"], "africastalking");
    assert_eq!(texts[1]["status"], "Success");
    assert_eq!(texts[1]["from"], "COMPTOIR");
    for text in &texts {
        assert_eq!(text["to"], otp);
        assert!(
            text["received_at"]
                .as_str()
                .expect("received_at")
                .ends_with('Z')
        );
    }
    assert_eq!(sandbox.texts(None).await.len(), 3);
    // An unencoded `+` in a query string reads as a space: the number is still found.
    let raw: Vec<serde_json::Value> = sandbox
        .http
        .get(format!("{}/sandbox/sms?to=+22891234567", sandbox.base))
        .send()
        .await
        .expect("inbox")
        .json()
        .await
        .expect("json");
    assert_eq!(raw.len(), 1);

    let page = sandbox
        .http
        .get(format!("{}/sandbox/phone", sandbox.base))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("name=\"viewport\""));
    assert!(
        html.contains("&lt;b&gt;Commande&lt;/b&gt; &amp; co"),
        "{html}"
    );
    assert!(!html.contains("<b>Commande"));
    let newest = html.find("Code 222222").expect("newest text");
    let oldest = html.find("Code 111111").expect("oldest text");
    let other_group = html.find(other).expect("other number");
    assert!(newest < oldest, "newest first within a number");
    assert!(
        newest < other_group,
        "the most recently texted number first"
    );

    let filtered = sandbox
        .http
        .get(format!("{}/sandbox/phone", sandbox.base))
        .query(&[("to", other)])
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(filtered.contains("Commande") && !filtered.contains("Code 111111"));
    assert!(filtered.contains(&format!("value=\"{other}\"")));
}
