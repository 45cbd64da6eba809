//! B2B quotes end to end with a real worker: a client asks a shop for a quote, its seller
//! offers lines at their prices, the worker renders the numbered PDF (read back with
//! pdftotext, names in Chinese and Cyrillic) and emails the client a signed link; the client
//! accepts (an order at the quoted prices, stock decremented once however many accept at
//! once) or rejects; an offer past its date expires by the scheduled sweep. Access and bad
//! input: `quotes_access.rs`.
//!
//! `COMPTOIR_QUOTE_PNG_DIR=<dir>` keeps the PDF's PNG pages there (to look at them).

mod support;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use comptoir_domain::money::format_money;
use comptoir_jobs::Producer;
use comptoir_jobs::quotes::RenderQuote;
use comptoir_storage::Storage;
use comptoir_testkit::{assert_problem, wait_until};
use comptoir_worker::quotes::QuoteDesk;
use comptoir_worker::reports::pdf_fonts;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_acceptances_sell_the_stock_once() {
    let m = market(&[]).await;
    // Two quotes for 4 of the 5 in stock, and the same quote accepted twice at once.
    let (first, second) = (m.request([4, 1]).await, m.request([4, 1]).await);
    for quote in [&first, &second] {
        assert_eq!(m.offer(quote, [4, 1], [1000, 800]).await.status(), 202);
    }
    let accept = |quote: &Value| {
        let path = path(quote, "accept");
        let app = &m.app;
        let token = m.client.token.clone();
        async move {
            app.post(&path, Some(&token), json!({}))
                .await
                .status()
                .as_u16()
        }
    };
    let (a, b, c) = tokio::join!(accept(&first), accept(&first), accept(&second));
    let mut statuses = [a, b, c];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409, 409], "one order, the rest refused");
    assert_eq!(m.stock(0).await, 1);
    let orders: i64 = sqlx::query_scalar("SELECT count(*) FROM orders WHERE shop_id = $1")
        .bind(m.shop)
        .fetch_one(&m.app.pool)
        .await
        .expect("count");
    assert_eq!(orders, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_render_job_run_again_or_outdated_emails_nothing_more() {
    let m = market(&[]).await;
    let quote = m.request([1, 1]).await;
    let id: Uuid = quote["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("id");
    assert_eq!(m.offer(&quote, [1, 1], [500, 400]).await.status(), 202);
    assert_eq!(m.offer(&quote, [2, 1], [450, 400]).await.status(), 202);
    let settings = &m.app.settings;
    let desk = QuoteDesk {
        pool: m.app.pool.clone(),
        storage: Storage::from_settings(&settings.storage).expect("storage"),
        producer: Producer::new(settings),
        fonts: pdf_fonts(&settings.reports),
        links: settings.reports.clone(),
        public_url: settings.server.public_url.clone(),
    };
    // The first offer's job is outdated; the second's runs twice (a redelivery).
    for version in [1, 2, 2] {
        desk.render(&RenderQuote {
            quote_id: id,
            version,
        })
        .await
        .expect("render");
    }
    let emails: Vec<String> = sqlx::query_scalar(
        "SELECT payload ->> 'dedupe_key' FROM jobs WHERE kind = 'email.send.v1' \
         AND payload ->> 'dedupe_key' LIKE 'quote-offered:%'",
    )
    .fetch_all(&m.app.pool)
    .await
    .expect("emails");
    assert_eq!(emails, [format!("quote-offered:{id}:2")]);
    let pdf = m.app.get(&path(&quote, "pdf"), Some(&m.client.token)).await;
    assert_eq!(pdf.status(), 200);
    let text = pdf_text(&pdf.bytes().await.expect("bytes"));
    assert!(text.contains(&format_money(2 * 450 + 400, "EUR")), "{text}");
}
