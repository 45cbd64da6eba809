use serde_json::{Value, json};

use crate::helpers::{
    CINETPAY_APIKEY, CINETPAY_SECRET, CINETPAY_SITE_ID, Received, TestSandbox, hmac_hex, spawn,
};

/// The notification's fields in the order PROVIDERS.md gives for the x-token.
const TOKEN_ORDER: [&str; 16] = [
    "cpm_site_id",
    "cpm_trans_id",
    "cpm_trans_date",
    "cpm_amount",
    "cpm_currency",
    "signature",
    "payment_method",
    "cel_phone_num",
    "cpm_phone_prefixe",
    "cpm_language",
    "cpm_version",
    "cpm_payment_config",
    "cpm_page_action",
    "cpm_custom",
    "cpm_designation",
    "cpm_error_message",
];

fn init_body(sandbox: &TestSandbox, transaction_id: &str) -> Value {
    json!({
        "apikey": CINETPAY_APIKEY, "site_id": CINETPAY_SITE_ID,
        "transaction_id": transaction_id, "amount": 5000, "currency": "XOF",
        "description": format!("Commande {transaction_id}"),
        "notify_url": format!("{}/cinetpay/notify", sandbox.receiver.url),
        "return_url": "https://shop.test/return", "channels": "ALL",
        "metadata": "order-1", "lang": "fr",
    })
}

async fn call(sandbox: &TestSandbox, path: &str, body: &Value) -> Value {
    sandbox
        .http
        .post(format!("{}{path}", sandbox.base))
        .json(body)
        .send()
        .await
        .expect("cinetpay request")
        .json()
        .await
        .expect("json")
}

fn check_body(by: &str, id: &str) -> Value {
    json!({"apikey": CINETPAY_APIKEY, "site_id": CINETPAY_SITE_ID, by: id})
}

/// The form's fields, after checking `x-token` with the test's own HMAC.
fn verified_form(notification: &Received) -> Vec<(String, String)> {
    assert_eq!(
        notification.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let form: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&notification.body).expect("form");
    let value = |name: &str| {
        form.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("field {name} missing"))
    };
    let data: String = TOKEN_ORDER.iter().map(|name| value(name)).collect();
    assert_eq!(
        notification.header("x-token"),
        Some(hmac_hex(CINETPAY_SECRET, data.as_bytes()).as_str())
    );
    form
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .expect("field")
}

#[tokio::test]
async fn payment_is_notified_signed_and_checked() {
    let sandbox = spawn();
    let created = call(&sandbox, "/v2/payment", &init_body(&sandbox, "ORD-1")).await;
    assert_eq!(created["code"], "201");
    assert_eq!(created["message"], "CREATED");
    let token = created["data"]["payment_token"].as_str().expect("token");
    assert_eq!(
        created["data"]["payment_url"],
        format!("{}/checkout/cinetpay/{token}", sandbox.base)
    );
    let duplicate = call(&sandbox, "/v2/payment", &init_body(&sandbox, "ORD-1")).await;
    assert_ne!(duplicate["code"], "201");

    let pending = call(&sandbox, "/v2/payment/check", &check_body("token", token)).await;
    assert_eq!(pending["code"], "662");
    assert_eq!(pending["data"]["status"], "WAITING_FOR_CUSTOMER");

    let paid: Value = sandbox
        .hook("cinetpay", token, "pay")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(paid["data"]["status"], "ACCEPTED");

    let requests = sandbox
        .receiver
        .wait_for("/cinetpay/notify", |r| r.iter().any(|r| r.method == "POST"))
        .await;
    assert_eq!(requests[0].method, "GET", "the ping comes first");
    assert!(requests[0].body.is_empty());
    let form = verified_form(&requests[1]);
    assert_eq!(form.len(), 16);
    assert_eq!(field(&form, "cpm_site_id"), CINETPAY_SITE_ID);
    assert_eq!(field(&form, "cpm_trans_id"), "ORD-1");
    assert_eq!(field(&form, "cpm_amount"), "5000");
    assert_eq!(field(&form, "cpm_currency"), "XOF");
    assert_eq!(field(&form, "cpm_custom"), "order-1");
    assert_eq!(field(&form, "cpm_designation"), "Commande ORD-1");
    assert_eq!(field(&form, "cpm_error_message"), "SUCCES");

    let checked = call(
        &sandbox,
        "/v2/payment/check",
        &check_body("transaction_id", "ORD-1"),
    )
    .await;
    assert_eq!(checked["code"], "00");
    assert_eq!(checked["message"], "SUCCES");
    assert_eq!(checked["data"]["status"], "ACCEPTED");
    assert_eq!(checked["data"]["amount"], "5000", "the amount is a string");
    assert_eq!(checked["data"]["currency"], "XOF");
    assert_eq!(
        sandbox.hook("cinetpay", token, "cancel").await.status(),
        409
    );
}

#[tokio::test]
async fn cancelled_payment_is_refused() {
    let sandbox = spawn();
    let created = call(&sandbox, "/v2/payment", &init_body(&sandbox, "ORD-2")).await;
    let token = created["data"]["payment_token"].as_str().expect("token");
    let cancelled: Value = sandbox
        .hook("cinetpay", "ORD-2", "cancel")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(cancelled["code"], "627");

    let requests = sandbox
        .receiver
        .wait_for("/cinetpay/notify", |r| r.iter().any(|r| r.method == "POST"))
        .await;
    let form = verified_form(&requests[1]);
    assert_eq!(field(&form, "cpm_error_message"), "TRANSACTION_CANCEL");
    let checked = call(&sandbox, "/v2/payment/check", &check_body("token", token)).await;
    assert_eq!(checked["code"], "627");
    assert_eq!(checked["message"], "TRANSACTION_CANCEL");
    assert_eq!(checked["data"]["status"], "REFUSED");
}

#[tokio::test]
async fn wrong_credentials_and_amounts_are_refused() {
    let sandbox = spawn();
    let mut body = init_body(&sandbox, "ORD-3");
    body["apikey"] = json!("wrong");
    let refused = call(&sandbox, "/v2/payment", &body).await;
    assert_eq!(refused["code"], "609");
    assert_eq!(refused["message"], "AUTH_NOT_FOUND");
    let mut check = check_body("transaction_id", "ORD-3");
    check["site_id"] = json!("1");
    assert_eq!(
        call(&sandbox, "/v2/payment/check", &check).await["code"],
        "609"
    );

    let mut body = init_body(&sandbox, "ORD-3");
    body["amount"] = json!(5001);
    assert_eq!(call(&sandbox, "/v2/payment", &body).await["code"], "608");
    let mut body = init_body(&sandbox, "ORD-3");
    body["site_id"] = json!(CINETPAY_SITE_ID.parse::<u64>().expect("numeric"));
    assert_eq!(
        call(&sandbox, "/v2/payment", &body).await["code"],
        "201",
        "a numeric site_id is taken too"
    );
}
