//! The checkout pages as a browser uses them: GET the page, POST a button.

use serde_json::{Value, json};

use crate::helpers::{CINETPAY_APIKEY, CINETPAY_SITE_ID, PAYGATE_TOKEN, STRIPE_KEY, spawn};

async fn press(http: &reqwest::Client, url: &str, action: &str) -> reqwest::Response {
    http.post(url)
        .form(&[("action", action)])
        .send()
        .await
        .expect("button")
}

#[tokio::test]
async fn stripe_page_declines_then_pays_and_redirects() {
    let sandbox = spawn();
    let session: Value = sandbox
        .http
        .post(format!("{}/v1/checkout/sessions", sandbox.base))
        .bearer_auth(STRIPE_KEY)
        .form(&[
            ("mode", "payment"),
            ("line_items[0][price_data][currency]", "eur"),
            ("line_items[0][price_data][unit_amount]", "1250"),
            (
                "line_items[0][price_data][product_data][name]",
                "Mug <b>bleu</b>",
            ),
            ("line_items[0][quantity]", "2"),
            (
                "success_url",
                "https://shop.test/ok?s={CHECKOUT_SESSION_ID}",
            ),
        ])
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let url = session["url"].as_str().expect("url");
    let page = sandbox.http.get(url).send().await.expect("page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    for expected in [
        "Boutique Test",
        "25.00",
        "EUR",
        ">Pay<",
        ">Fail<",
        ">Cancel<",
        "name=\"viewport\"",
    ] {
        assert!(html.contains(expected), "page lacks {expected}: {html}");
    }
    assert!(
        html.contains("Mug &lt;b&gt;bleu&lt;/b&gt;"),
        "names are escaped"
    );

    let declined = press(&sandbox.http, url, "fail")
        .await
        .text()
        .await
        .expect("html");
    assert!(declined.contains("declined"));
    let paid = press(&sandbox.http, url, "pay").await;
    assert_eq!(paid.status(), 303);
    let id = session["id"].as_str().expect("id");
    assert_eq!(
        paid.headers()["location"],
        format!("https://shop.test/ok?s={id}").as_str()
    );
    let settled = sandbox
        .http
        .get(url)
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        !settled.contains(">Pay<"),
        "a settled session offers no buttons"
    );
}

#[tokio::test]
async fn cinetpay_page_posts_the_customer_back() {
    let sandbox = spawn();
    let created: Value = sandbox
        .http
        .post(format!("{}/v2/payment", sandbox.base))
        .json(&json!({
            "apikey": CINETPAY_APIKEY, "site_id": CINETPAY_SITE_ID, "transaction_id": "ORD-9",
            "amount": 2500, "currency": "XOF", "description": "Commande ORD-9",
            "notify_url": format!("{}/notify", sandbox.receiver.url),
            "return_url": "https://shop.test/return", "channels": "MOBILE_MONEY",
        }))
        .send()
        .await
        .expect("init")
        .json()
        .await
        .expect("json");
    let url = created["data"]["payment_url"].as_str().expect("url");
    let html = sandbox
        .http
        .get(url)
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("2500") && html.contains("XOF"));
    let back = press(&sandbox.http, url, "pay")
        .await
        .text()
        .await
        .expect("html");
    assert!(back.contains("action=\"https://shop.test/return\""));
    assert!(back.contains("name=\"transaction_id\" value=\"ORD-9\""));
}

#[tokio::test]
async fn paygate_approval_page_and_unknown_pages() {
    let sandbox = spawn();
    let registered: Value = sandbox
        .http
        .post(format!("{}/api/v1/pay", sandbox.base))
        .json(&json!({
            "auth_token": PAYGATE_TOKEN, "phone_number": "+22890000000", "amount": 700,
            "description": "Commande", "identifier": "ORD-PG-9", "network": "TMONEY",
        }))
        .send()
        .await
        .expect("pay")
        .json()
        .await
        .expect("json");
    let url = format!(
        "{}/paygate/approve/{}",
        sandbox.base, registered["tx_reference"]
    );
    let html = sandbox
        .http
        .get(&url)
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("700") && html.contains("22890000000"));
    let done = press(&sandbox.http, &url, "cancel").await;
    assert_eq!(done.status(), 200);
    assert!(done.text().await.expect("html").contains("cancelled (6)"));
    assert_eq!(press(&sandbox.http, &url, "pay").await.status(), 409);

    let missing = sandbox
        .http
        .get(format!("{}/checkout/paygate/1", sandbox.base))
        .send()
        .await
        .expect("page");
    assert_eq!(missing.status(), 404);
    let health: Value = sandbox
        .http
        .get(format!("{}/sandbox/health", sandbox.base))
        .send()
        .await
        .expect("health")
        .json()
        .await
        .expect("json");
    assert_eq!(health["status"], "ok");
}
