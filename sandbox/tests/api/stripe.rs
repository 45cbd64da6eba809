use serde_json::Value;

use crate::helpers::{Received, STRIPE_KEY, STRIPE_WHSEC, TestSandbox, hmac_hex, spawn};

fn session_form(quantity: &str) -> Vec<(&'static str, String)> {
    vec![
        ("mode", "payment".into()),
        ("line_items[0][price_data][currency]", "EUR".into()),
        ("line_items[0][price_data][unit_amount]", "1250".into()),
        (
            "line_items[0][price_data][product_data][name]",
            "Mug".into(),
        ),
        ("line_items[0][quantity]", quantity.into()),
        (
            "success_url",
            "https://shop.test/ok?session={CHECKOUT_SESSION_ID}".into(),
        ),
        ("cancel_url", "https://shop.test/cancel".into()),
        ("client_reference_id", "order-42".into()),
        ("metadata[order_id]", "42".into()),
        ("payment_intent_data[metadata][order_id]", "42".into()),
    ]
}

async fn post(
    sandbox: &TestSandbox,
    path: &str,
    form: &[(&str, String)],
    key: Option<&str>,
) -> reqwest::Response {
    let mut request = sandbox
        .http
        .post(format!("{}{path}", sandbox.base))
        .basic_auth(STRIPE_KEY, None::<&str>)
        .form(form);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.expect("stripe request")
}

async fn get(sandbox: &TestSandbox, path: &str) -> Value {
    let response = sandbox
        .http
        .get(format!("{}{path}", sandbox.base))
        .bearer_auth(STRIPE_KEY)
        .send()
        .await
        .expect("stripe get");
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

/// Checks `Stripe-Signature` as Stripe's libraries do: any `v1` over `"{t}.{body}"`, other
/// schemes ignored, timestamp recent.
fn verify_signature(event: &Received) {
    let header = event.header("stripe-signature").expect("Stripe-Signature");
    let mut timestamp = None;
    let mut v1 = Vec::new();
    for item in header.split(',') {
        match item.trim().split_once('=') {
            Some(("t", t)) => timestamp = Some(t.to_owned()),
            Some(("v1", signature)) => v1.push(signature.to_owned()),
            _ => {}
        }
    }
    let timestamp = timestamp.expect("t=");
    let age = chrono_now() - timestamp.parse::<i64>().expect("numeric t");
    assert!((0..300).contains(&age), "signature timestamp is {age}s old");
    let mut signed = format!("{timestamp}.").into_bytes();
    signed.extend_from_slice(&event.body);
    let expected = hmac_hex(STRIPE_WHSEC, &signed);
    assert!(v1.contains(&expected), "no v1 matches in {header}");
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

fn types(events: &[Received]) -> Vec<String> {
    events
        .iter()
        .map(|e| e.json()["type"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn session_is_idempotent_paid_signed_and_refunded() {
    let sandbox = spawn();
    let created = post(
        &sandbox,
        "/v1/checkout/sessions",
        &session_form("2"),
        Some("k1"),
    )
    .await;
    assert_eq!(created.status(), 200);
    let session: Value = created.json().await.expect("json");
    let id = session["id"].as_str().expect("id").to_owned();
    assert!(id.starts_with("cs_test_"));
    assert_eq!(
        session["url"],
        format!("{}/checkout/stripe/{id}", sandbox.base)
    );
    assert_eq!(session["payment_status"], "unpaid");
    assert_eq!(session["status"], "open");
    assert_eq!(session["amount_total"], 2500);
    assert_eq!(session["currency"], "eur");
    assert_eq!(session["metadata"]["order_id"], "42");
    assert_eq!(session["client_reference_id"], "order-42");
    let pi = session["payment_intent"].as_str().expect("pi").to_owned();
    assert!(pi.starts_with("pi_"));

    // Same key, same parameters: the first answer again. Other parameters: refused.
    let replay = post(
        &sandbox,
        "/v1/checkout/sessions",
        &session_form("2"),
        Some("k1"),
    )
    .await;
    assert_eq!(replay.status(), 200);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.json::<Value>().await.expect("json"), session);
    let other = post(
        &sandbox,
        "/v1/checkout/sessions",
        &session_form("3"),
        Some("k1"),
    )
    .await;
    assert_eq!(other.status(), 400);
    let error: Value = other.json().await.expect("json");
    assert_eq!(error["error"]["type"], "idempotency_error");

    let intent = get(&sandbox, &format!("/v1/payment_intents/{pi}")).await;
    assert_eq!(intent["status"], "requires_payment_method");
    assert_eq!(intent["metadata"]["order_id"], "42");

    let paid = sandbox.hook("stripe", &id, "pay").await;
    assert_eq!(paid.status(), 200);
    let paid: Value = paid.json().await.expect("json");
    assert_eq!(paid["session"]["payment_status"], "paid");

    let events = sandbox.receiver.wait_for("/stripe", |e| e.len() >= 2).await;
    assert_eq!(
        types(&events),
        ["checkout.session.completed", "payment_intent.succeeded"]
    );
    for event in &events {
        verify_signature(event);
    }
    let completed = events[0].json();
    assert!(completed["id"].as_str().expect("id").starts_with("evt_"));
    assert_ne!(completed["id"], events[1].json()["id"]);
    let object = &completed["data"]["object"];
    assert_eq!(object["id"], id.as_str());
    assert_eq!(object["payment_status"], "paid");
    assert_eq!(object["status"], "complete");
    assert_eq!(object["client_reference_id"], "order-42");
    assert_eq!(object["payment_intent"], pi.as_str());

    let intent = get(&sandbox, &format!("/v1/payment_intents/{pi}")).await;
    assert_eq!(intent["status"], "succeeded");
    assert_eq!(intent["amount_received"], 2500);
    let charge = intent["latest_charge"].as_str().expect("charge").to_owned();

    let refund = |amount: Option<&str>| {
        let mut form = vec![("payment_intent", pi.clone())];
        if let Some(amount) = amount {
            form.push(("amount", amount.to_owned()));
        }
        form
    };
    let first = post(&sandbox, "/v1/refunds", &refund(Some("1000")), None).await;
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.expect("json");
    assert!(first["id"].as_str().expect("id").starts_with("re_"));
    assert_eq!(first["status"], "succeeded");
    assert_eq!(first["amount"], 1000);
    let too_much = post(&sandbox, "/v1/refunds", &refund(Some("2000")), None).await;
    assert_eq!(too_much.status(), 400);
    let rest = post(&sandbox, "/v1/refunds", &refund(None), None).await;
    assert_eq!(rest.json::<Value>().await.expect("json")["amount"], 1500);
    let again = post(&sandbox, "/v1/refunds", &refund(None), None).await;
    assert_eq!(again.status(), 400);

    let charge = get(&sandbox, &format!("/v1/charges/{charge}")).await;
    assert_eq!(charge["amount_refunded"], 2500);
    assert_eq!(charge["refunded"], true);
    let events = sandbox.receiver.wait_for("/stripe", |e| e.len() >= 4).await;
    // Separate requests make separate deliveries, whose order is not guaranteed (as in Stripe).
    assert_eq!(types(&events[2..]), ["charge.refunded", "charge.refunded"]);
    let mut refunded: Vec<i64> = events[2..]
        .iter()
        .map(|e| {
            e.json()["data"]["object"]["amount_refunded"]
                .as_i64()
                .expect("amount")
        })
        .collect();
    refunded.sort();
    assert_eq!(refunded, [1000, 2500]);
    verify_signature(&events[3]);

    assert_eq!(sandbox.hook("stripe", &id, "pay").await.status(), 409);
}

#[tokio::test]
async fn declined_then_cancelled_session() {
    let sandbox = spawn();
    let created = post(&sandbox, "/v1/checkout/sessions", &session_form("1"), None).await;
    let session: Value = created.json().await.expect("json");
    let id = session["id"].as_str().expect("id");

    let failed: Value = sandbox
        .hook("stripe", id, "fail")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        failed["payment_intent"]["status"],
        "requires_payment_method"
    );
    assert_eq!(
        failed["payment_intent"]["last_payment_error"]["code"],
        "card_declined"
    );
    assert_eq!(failed["session"]["status"], "open");
    sandbox
        .receiver
        .wait_for("/stripe", |e| !e.is_empty())
        .await;

    let cancelled: Value = sandbox
        .hook("stripe", id, "cancel")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(cancelled["session"]["status"], "expired");
    assert_eq!(cancelled["payment_intent"]["status"], "canceled");

    let events = sandbox.receiver.wait_for("/stripe", |e| e.len() >= 3).await;
    assert_eq!(
        types(&events),
        [
            "payment_intent.payment_failed",
            "checkout.session.expired",
            "payment_intent.canceled"
        ]
    );
}

#[tokio::test]
async fn wrong_key_and_bad_params_get_stripe_errors() {
    let sandbox = spawn();
    let url = format!("{}/v1/checkout/sessions", sandbox.base);
    let form = session_form("1");
    let unauthenticated = sandbox
        .http
        .post(&url)
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(unauthenticated.status(), 401);
    let wrong = sandbox
        .http
        .post(&url)
        .basic_auth("sk_test_wrong", None::<&str>)
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(wrong.status(), 401);
    let body: Value = wrong.json().await.expect("json");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("message")
            .contains("Invalid API Key")
    );
    let bearer = sandbox
        .http
        .get(format!("{}/v1/payment_intents/pi_x", sandbox.base))
        .bearer_auth("sk_test_wrong")
        .send()
        .await
        .expect("get");
    assert_eq!(bearer.status(), 401);

    let missing = post(
        &sandbox,
        "/v1/checkout/sessions",
        &[("mode", "payment".into())],
        None,
    )
    .await;
    assert_eq!(missing.status(), 400);
    assert_eq!(
        missing.json::<Value>().await.expect("json")["error"]["param"],
        "line_items"
    );
    let mut typo = session_form("1");
    typo.push(("metdata[order_id]", "42".into()));
    let typo = post(&sandbox, "/v1/checkout/sessions", &typo, None).await;
    assert_eq!(typo.status(), 400);
    assert_eq!(
        typo.json::<Value>().await.expect("json")["error"]["code"],
        "parameter_unknown"
    );
    let unknown = get_status(&sandbox, "/v1/checkout/sessions/cs_test_nope").await;
    assert_eq!(unknown, 404);
}

async fn get_status(sandbox: &TestSandbox, path: &str) -> u16 {
    sandbox
        .http
        .get(format!("{}{path}", sandbox.base))
        .basic_auth(STRIPE_KEY, None::<&str>)
        .send()
        .await
        .expect("get")
        .status()
        .as_u16()
}
