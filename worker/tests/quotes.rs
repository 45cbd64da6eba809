//! B2B quotes end to end with a real worker: a client asks a shop for a quote, its seller
//! offers lines at their prices, the worker renders the numbered PDF (read back with
//! pdftotext, names in Chinese and Cyrillic) and emails the client a signed link; the client
//! accepts (an order at the quoted prices, stock decremented) or rejects; an offer past its
//! date expires by the scheduled sweep. Other sellers and clients are told nothing (404).
//!
//! `COMPTOIR_QUOTE_PNG_DIR=<dir>` keeps the PDF's PNG pages there (to look at them).

mod support;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use comptoir_domain::money::format_money;
use comptoir_domain::types::Role;
use comptoir_testkit::market::TestProduct;
use comptoir_testkit::{assert_problem, wait_until};
use support::pdf::pdf_text;
use support::quotes::{CLIENT_NAME, COMPANY, SHOP_NAME, WAIT, emailed_link, look_at, market, path};
use support::spawn_worker;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quote_is_requested_offered_rendered_and_accepted_at_the_quoted_prices() {
    let m = market(&[]).await;
    let quote = m.request([3, 10]).await;
    let number = quote["number"].as_str().expect("number").to_owned();
    assert!(
        number.starts_with(&format!("Q-{}-", Utc::now().format("%Y"))),
        "{number}"
    );
    assert_eq!(quote["status"], "requested");
    assert_eq!(quote["vat_number"], "FR40303265045");
    assert!(
        m.seller_notices()
            .await
            .contains(&format!("Quote {number} requested"))
    );

    // Nothing to download before an offer; the client cannot offer, nor accept a request.
    let pdf = m.app.get(&path(&quote, "pdf"), Some(&m.client.token)).await;
    assert_problem(pdf, 409, "quote_pdf_pending").await;
    let body = json!({"lines": [], "valid_until": Utc::now()});
    let refused = m
        .app
        .post(&path(&quote, "offer"), Some(&m.client.token), body)
        .await;
    assert_problem(refused, 403, "forbidden").await;
    let refused = m
        .app
        .post(&path(&quote, "accept"), Some(&m.client.token), json!({}))
        .await;
    assert_problem(refused, 409, "quote_state").await;

    let offered = m.offer(&quote, [3, 10], [1100, 900]).await;
    assert_eq!(offered.status(), 202);
    let offered: Value = offered.json().await.expect("json");
    assert_eq!(offered["status"], "offered");
    assert_eq!(
        offered["total"],
        json!({"amount": 12300, "currency": "EUR"})
    );
    let valid_until: DateTime<Utc> = offered["valid_until"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("valid_until");

    let _worker = spawn_worker(&m.app.settings, &["reports", "email"]);
    let link = emailed_link(&m.client.email, &number).await;
    // The link needs no bearer token.
    let file = m.app.client.get(&link).send().await.expect("download");
    assert_eq!(file.status(), 200);
    assert_eq!(file.headers()["content-type"], "application/pdf");
    let pdf = file.bytes().await.expect("bytes").to_vec();
    let text = pdf_text(&pdf);
    let money = |amount| format_money(amount, "EUR");
    for expected in [
        "QUOTE",
        number.as_str(),
        SHOP_NAME,
        COMPANY,
        "VAT no. FR40303265045",
        CLIENT_NAME,
        &valid_until.format("%Y-%m-%d").to_string(),
        &money(1100),
        &money(3300),
        &money(9000),
        &format!("Total (EUR): {}", money(12300)),
        "Payment within 30 days.",
    ] {
        assert!(text.contains(expected), "{expected} on the quote:\n{text}");
    }
    look_at(&pdf);
    let by_seller = m.app.get(&path(&quote, "pdf"), Some(&m.seller)).await;
    assert_eq!(by_seller.status(), 200);
    let swapped = link.replace(
        quote["id"].as_str().expect("id"),
        &Uuid::now_v7().to_string(),
    );
    let refused = m.app.client.get(&swapped).send().await.expect("answer");
    assert_problem(refused, 403, "invalid_download_link").await;

    let accepted = m
        .app
        .post(&path(&quote, "accept"), Some(&m.client.token), json!({}))
        .await;
    assert_eq!(accepted.status(), 201);
    let order: Value = accepted.json().await.expect("json");
    let prices: Vec<(i64, i64)> = order["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|line| {
            (
                line["quantity"].as_i64().expect("q"),
                line["unit_price"]["amount"].as_i64().expect("p"),
            )
        })
        .collect();
    let mut expected = vec![(3, 1100), (10, 900)];
    let mut prices_sorted = prices.clone();
    prices_sorted.sort();
    expected.sort();
    assert_eq!(prices_sorted, expected);
    assert_eq!(order["total"]["amount"], 12300);
    assert_eq!((m.stock(0).await, m.stock(1).await), (2, 40));
    let after: Value = m.quote(&quote, &m.admin).await.json().await.expect("json");
    assert_eq!(
        (&after["status"], &after["order_id"]),
        (&json!("accepted"), &order["id"])
    );
    assert!(
        m.seller_notices()
            .await
            .contains(&format!("Quote {number} accepted"))
    );
    let again = m
        .app
        .post(&path(&quote, "accept"), Some(&m.client.token), json!({}))
        .await;
    assert_problem(again, 409, "quote_state").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepting_more_than_the_stock_changes_nothing() {
    let m = market(&[]).await;
    let quote = m.request([6, 1]).await;
    assert_eq!(m.offer(&quote, [6, 1], [1000, 800]).await.status(), 202);
    let refused = m
        .app
        .post(&path(&quote, "accept"), Some(&m.client.token), json!({}))
        .await;
    assert_problem(refused, 409, "insufficient_stock").await;
    assert_eq!((m.stock(0).await, m.stock(1).await), (5, 50));
    let after: Value = m
        .quote(&quote, &m.client.token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (&after["status"], &after["order_id"]),
        (&json!("offered"), &Value::Null)
    );
    let orders: i64 = sqlx::query_scalar("SELECT count(*) FROM orders WHERE shop_id = $1")
        .bind(m.shop)
        .fetch_one(&m.app.pool)
        .await
        .expect("count");
    assert_eq!(orders, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_sellers_and_clients_are_told_nothing() {
    let m = market(&[]).await;
    let quote = m.request([1, 1]).await;
    let other_seller = m.app.shop().await.owner_token;
    let (_, other_client) = m.app.user_with_role(Role::Client).await;
    for token in [&other_seller, &other_client] {
        assert_problem(m.quote(&quote, token).await, 404, "not_found").await;
        let pdf = m.app.get(&path(&quote, "pdf"), Some(token)).await;
        assert_problem(pdf, 404, "not_found").await;
        let listed: Value = m
            .app
            .get("/v1/quotes", Some(token))
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(listed["total"], 0, "{listed}");
    }
    let body = json!({"lines": [{"product_id": m.products[0].0, "quantity": 1, "unit_price": 5}],
                      "valid_until": Utc::now() + chrono::Duration::days(1)});
    let refused = m
        .app
        .post(&path(&quote, "offer"), Some(&other_seller), body)
        .await;
    assert_problem(refused, 404, "not_found").await;
    for step in ["accept", "reject"] {
        for token in [&other_client, &m.seller] {
            let refused = m
                .app
                .post(&path(&quote, step), Some(token), json!({}))
                .await;
            assert_problem(refused, 404, "not_found").await;
        }
    }
    // The parties list it, filtered.
    let query = format!("/v1/quotes?status=requested&shop_id={}", m.shop);
    for token in [&m.client.token, &m.seller, &m.admin] {
        let listed: Value = m
            .app
            .get(&query, Some(token))
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(listed["items"][0]["id"], quote["id"], "{listed}");
    }
    let listed: Value = m
        .app
        .get("/v1/quotes?status=offered", Some(&m.seller))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["total"], 0);
    let bad = m
        .app
        .get("/v1/quotes?status=pending", Some(&m.seller))
        .await;
    assert_problem(bad, 422, "validation_failed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_and_offers_are_refused_with_their_reasons() {
    let m = market(&[]).await;
    let product = m.products[0].0;
    let elsewhere = m.app.shop().await;
    let foreign = m.app.product(elsewhere.id, TestProduct::new(100, 1)).await;
    let item = json!([{"product_id": product, "quantity": 1}]);
    for (body, status, code, field) in [
        (
            json!({"shop_id": m.shop, "items": [], "company_name": "A"}),
            422,
            "validation_failed",
            Some("items"),
        ),
        (
            json!({"shop_id": m.shop, "items": [{"product_id": product, "quantity": 10_001}], "company_name": "A"}),
            422,
            "validation_failed",
            Some("items[0].quantity"),
        ),
        (
            json!({"shop_id": m.shop, "items": [{"product_id": product, "quantity": 1}, {"product_id": product, "quantity": 2}],
            "company_name": "A"}),
            422,
            "validation_failed",
            Some("items[1].product_id"),
        ),
        (
            json!({"shop_id": m.shop, "items": item, "company_name": "  "}),
            422,
            "validation_failed",
            Some("company_name"),
        ),
        (
            json!({"shop_id": m.shop, "items": item, "company_name": "A", "vat_number": "X!"}),
            422,
            "validation_failed",
            Some("vat_number"),
        ),
        (
            json!({"shop_id": m.shop, "items": [{"product_id": foreign, "quantity": 1}], "company_name": "A"}),
            422,
            "product_unavailable",
            None,
        ),
        (
            json!({"shop_id": Uuid::now_v7(), "items": item, "company_name": "A"}),
            422,
            "shop_unavailable",
            None,
        ),
        (
            json!({"shop_id": m.shop, "items": item}),
            422,
            "validation_failed",
            None,
        ),
    ] {
        let refused = m.app.post("/v1/quotes", Some(&m.client.token), body).await;
        let problem = assert_problem(refused, status, code).await;
        if let Some(field) = field {
            assert!(problem["errors"][field].is_array(), "{field}: {problem}");
        }
    }
    let by_seller = json!({"shop_id": m.shop, "items": item, "company_name": "A"});
    assert_problem(
        m.app.post("/v1/quotes", Some(&m.seller), by_seller).await,
        403,
        "forbidden",
    )
    .await;

    let quote = m.request([1, 1]).await;
    let line = |quantity: i32, price: i64| json!([{"product_id": product, "quantity": quantity, "unit_price": price}]);
    let week = Utc::now() + chrono::Duration::days(7);
    for (body, field) in [
        (
            json!({"lines": line(1, 100), "valid_until": Utc::now() - chrono::Duration::minutes(1)}),
            "valid_until",
        ),
        (
            json!({"lines": line(0, 100), "valid_until": week}),
            "lines[0].quantity",
        ),
        (
            json!({"lines": line(1, 0), "valid_until": week}),
            "lines[0].unit_price",
        ),
        (json!({"lines": [], "valid_until": week}), "lines"),
    ] {
        let refused = m
            .app
            .post(&path(&quote, "offer"), Some(&m.seller), body)
            .await;
        let problem = assert_problem(refused, 422, "validation_failed").await;
        assert!(problem["errors"][field].is_array(), "{field}: {problem}");
    }
    let body = json!({"lines": [{"product_id": foreign, "quantity": 1, "unit_price": 5}], "valid_until": week});
    let refused = m
        .app
        .post(&path(&quote, "offer"), Some(&m.seller), body)
        .await;
    assert_problem(refused, 422, "product_unavailable").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_quote_takes_no_offer_and_an_expired_one_no_acceptance() {
    let m = market(&[("jobs.quote_sweep_interval_secs", json!(1))]).await;
    let rejected = m.request([1, 1]).await;
    let answer = m
        .app
        .post(&path(&rejected, "reject"), Some(&m.client.token), json!({}))
        .await;
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer.json::<Value>().await.expect("json")["status"],
        "rejected"
    );
    let number = rejected["number"].as_str().expect("number");
    assert!(
        m.seller_notices()
            .await
            .contains(&format!("Quote {number} rejected"))
    );
    assert_problem(
        m.offer(&rejected, [1, 1], [100, 100]).await,
        409,
        "quote_state",
    )
    .await;

    let quote = m.request([1, 1]).await;
    assert_eq!(m.offer(&quote, [1, 1], [100, 100]).await.status(), 202);
    // The offer's date passes (an offer cannot be made in the past through the API).
    sqlx::query("UPDATE quotes SET valid_until = now() - interval '1 second' WHERE id = $1")
        .bind(quote["id"].as_str().and_then(|id| id.parse::<Uuid>().ok()))
        .execute(&m.app.pool)
        .await
        .expect("backdated");
    let late = m
        .app
        .post(&path(&quote, "accept"), Some(&m.client.token), json!({}))
        .await;
    assert_problem(late, 409, "quote_expired").await;
    assert_eq!(m.stock(0).await, 5);

    // The scheduled sweep (every second here) expires it and tells the seller.
    let _worker = spawn_worker(&m.app.settings, &["maintenance"]);
    wait_until("the sweep to expire the quote", WAIT, || async {
        let now: Value = m.quote(&quote, &m.client.token).await.json().await.ok()?;
        (now["status"] == "expired").then_some(())
    })
    .await;
    let number = quote["number"].as_str().expect("number");
    assert!(
        m.seller_notices()
            .await
            .contains(&format!("Quote {number} expired"))
    );
    let late = m
        .app
        .post(&path(&quote, "accept"), Some(&m.client.token), json!({}))
        .await;
    assert_problem(late, 409, "quote_state").await;
}
