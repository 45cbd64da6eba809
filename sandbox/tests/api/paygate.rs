use serde_json::{Value, json};

use crate::helpers::{PAYGATE_TOKEN, TestSandbox, spawn, spawn_with_failures};

async fn call(sandbox: &TestSandbox, path: &str, body: &Value) -> reqwest::Response {
    sandbox
        .http
        .post(format!("{}{path}", sandbox.base))
        .json(body)
        .send()
        .await
        .expect("paygate request")
}

async fn pay(sandbox: &TestSandbox, identifier: &str, network: &str) -> Value {
    let body = json!({
        "auth_token": PAYGATE_TOKEN, "phone_number": "92104312", "amount": 1500,
        "description": "Commande", "identifier": identifier, "network": network,
    });
    call(sandbox, "/api/v1/pay", &body)
        .await
        .json()
        .await
        .expect("json")
}

async fn status(sandbox: &TestSandbox, identifier: &str) -> Value {
    let body = json!({"auth_token": PAYGATE_TOKEN, "identifier": identifier});
    let response = call(sandbox, "/api/v2/status", &body).await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

#[tokio::test]
async fn approved_payment_calls_back_after_a_retry() {
    // The merchant's first answer is a 500: the sandbox must try again.
    let sandbox = spawn_with_failures(1);
    let registered = pay(&sandbox, "ORD-PG-1", "TMONEY").await;
    assert_eq!(registered["status"], 0);
    let reference = registered["tx_reference"]
        .as_i64()
        .expect("numeric tx_reference");
    assert_eq!(status(&sandbox, "ORD-PG-1").await["status"], 2);
    assert_eq!(pay(&sandbox, "ORD-PG-1", "TMONEY").await["status"], 6);

    let approved: Value = sandbox
        .hook("paygate", &reference.to_string(), "pay")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(approved["status"], 0);

    let callbacks = sandbox
        .receiver
        .wait_for("/paygate", |r| r.len() >= 2)
        .await;
    assert_eq!(
        callbacks[0].body, callbacks[1].body,
        "the retry repeats the callback"
    );
    assert_eq!(
        callbacks[1].header("content-type"),
        Some("application/json")
    );
    let callback = callbacks[1].json();
    assert_eq!(callback["tx_reference"], reference);
    assert_eq!(callback["identifier"], "ORD-PG-1");
    assert_eq!(callback["amount"], 1500);
    assert_eq!(callback["payment_method"], "T-Money");
    assert_eq!(callback["phone_number"], "22892104312");
    assert!(callback["payment_reference"].is_string());
    assert!(
        callback["datetime"]
            .as_str()
            .expect("datetime")
            .ends_with('Z')
    );

    let paid = status(&sandbox, "ORD-PG-1").await;
    assert_eq!(paid["status"], 0);
    assert_eq!(paid["payment_reference"], callback["payment_reference"]);
    let by_reference = json!({"auth_token": PAYGATE_TOKEN, "tx_reference": reference});
    let by_reference: Value = call(&sandbox, "/api/v1/status", &by_reference)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(by_reference["status"], 0);
}

#[tokio::test]
async fn refused_payment_is_cancelled() {
    let sandbox = spawn();
    let registered = pay(&sandbox, "ORD-PG-2", "FLOOZ").await;
    let reference = registered["tx_reference"].as_i64().expect("tx_reference");
    let refused: Value = sandbox
        .hook("paygate", &reference.to_string(), "cancel")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(refused["status"], 6);
    let cancelled = status(&sandbox, "ORD-PG-2").await;
    assert_eq!(cancelled["status"], 6);
    assert_eq!(cancelled["payment_method"], "Flooz");
    assert!(cancelled["payment_reference"].is_null());
}

#[tokio::test]
async fn wrong_token_and_params_are_refused() {
    let sandbox = spawn();
    let wrong = json!({
        "auth_token": "nope", "phone_number": "92104312", "amount": 1500,
        "description": "x", "identifier": "ORD-PG-3", "network": "FLOOZ",
    });
    let wrong: Value = call(&sandbox, "/api/v1/pay", &wrong)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(wrong["status"], 2);
    assert_eq!(pay(&sandbox, "ORD-PG-3", "MTN").await["status"], 4);
    let status = json!({"auth_token": "nope", "identifier": "ORD-PG-3"});
    assert_eq!(
        call(&sandbox, "/api/v2/status", &status).await.status(),
        401
    );
    let unknown = json!({"auth_token": PAYGATE_TOKEN, "identifier": "ORD-PG-404"});
    assert_eq!(
        call(&sandbox, "/api/v2/status", &unknown).await.status(),
        404
    );
}
