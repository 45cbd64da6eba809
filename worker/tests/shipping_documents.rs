//! Shipping documents end to end with a real worker process: an order entering `preparing`
//! gets its packing slip, `shipped` its delivery note with carrier and tracking number; both are
//! PDFs behind signed links for the order's client, its seller and admins (others 404), read
//! back with pdftotext and rendered to PNG; names in Chinese, Arabic and Cyrillic render; a
//! document job run twice makes one document.
//!
//! `COMPTOIR_DOCUMENT_PNG_DIR=<dir>` keeps the PNG pages there (to look at them).

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use uuid::Uuid;

use comptoir_domain::types::Role;
use comptoir_storage::Storage;
use comptoir_testkit::app::unique_email;
use comptoir_testkit::market::TestProduct;
use comptoir_testkit::{TestApp, assert_problem, test_settings, wait_until};
use comptoir_worker::documents::DocumentRenderer;
use comptoir_worker::pdf::FontFiles;
use support::pdf::{pdf_pages_png, pdf_text};
use support::{WorkerChild, wait_for_status};

const WAIT: Duration = Duration::from_secs(60);
const SHOP_NAME: &str = "Chez Awa 茶铺";
const CLIENT_NAME: &str = "Иван Петров";
const RECIPIENT: &str = "王芳";
const STREET: &str = "12 شارع النيل";

struct Order {
    id: Uuid,
    client: String,
    seller: String,
    admin: String,
    skus: Vec<String>,
}

async fn settings() -> comptoir_domain::config::Settings {
    let root = std::env::temp_dir().join(format!("comptoir-test-{}", Uuid::now_v7()));
    test_settings(&[("storage.root", json!(root))]).await
}

/// A paid order of two products (2 and 1 of them) by a client with a Cyrillic name, shipped to a
/// Chinese name at an Arabic street, from a shop with a Chinese name.
async fn paid_order(app: &TestApp) -> Order {
    let shop = app.shop().await;
    sqlx::query("UPDATE shops SET name = $2 WHERE id = $1")
        .bind(shop.id)
        .bind(SHOP_NAME)
        .execute(&app.pool)
        .await
        .expect("shop renamed");
    let products = [
        app.product(shop.id, TestProduct::new(1250, 5)).await,
        app.product(shop.id, TestProduct::new(990, 5)).await,
    ];
    let session = app
        .register(&unique_email("buyer"), "correct horse battery")
        .await;
    let client = session["access_token"].as_str().expect("token").to_owned();
    sqlx::query("UPDATE users SET name = $2 WHERE id = $1")
        .bind(
            session["user"]["id"]
                .as_str()
                .and_then(|id| id.parse::<Uuid>().ok()),
        )
        .bind(CLIENT_NAME)
        .execute(&app.pool)
        .await
        .expect("client renamed");
    let order = json!({
        "items": [{"product_id": products[0], "quantity": 2}, {"product_id": products[1], "quantity": 1}],
        "shipping_address": {"name": RECIPIENT, "street": STREET, "city": "Lomé", "country": "TG",
                             "phone": "+228 90 00 00 00"},
    });
    let placed = app.post("/v1/orders", Some(&client), order).await;
    assert_eq!(placed.status(), 201);
    let placed: Value = placed.json().await.expect("json");
    let id: Uuid = placed["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("id");
    let skus = placed["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|line| line["sku"].as_str().expect("sku").to_owned())
        .collect();
    let order = Order {
        id,
        client,
        seller: shop.owner_token,
        admin: shop.admin_token,
        skus,
    };
    move_to(app, &order, json!({"status": "paid"})).await;
    order
}

async fn move_to(app: &TestApp, order: &Order, body: Value) -> Value {
    let moved = app
        .patch(
            &format!("/v1/orders/{}", order.id),
            Some(&order.seller),
            body,
        )
        .await;
    assert_eq!(moved.status(), 200);
    moved.json().await.expect("json")
}

async fn documents(app: &TestApp, order: Uuid, token: &str) -> reqwest::Response {
    app.get(&format!("/v1/orders/{order}/documents"), Some(token))
        .await
}

/// Waits for the order's `kind` document to be rendered; returns its PDF.
async fn rendered(app: &TestApp, order: &Order, kind: &str) -> Vec<u8> {
    let url = wait_until(&format!("the {kind} to be rendered"), WAIT, || async {
        let listed: Value = documents(app, order.id, &order.client)
            .await
            .json()
            .await
            .expect("json");
        listed.as_array()?.iter().find_map(|document| {
            (document["kind"] == kind && document["status"] == "succeeded")
                .then(|| document["download_url"].as_str().map(str::to_owned))
                .flatten()
        })
    })
    .await;
    let file = app.client.get(&url).send().await.expect("download");
    assert_eq!(file.status(), 200);
    assert_eq!(file.headers()["content-type"], "application/pdf");
    file.bytes().await.expect("bytes").to_vec()
}

/// Renders the PDF's pages to PNG, kept in `COMPTOIR_DOCUMENT_PNG_DIR` when it is set.
fn look_at(pdf: &[u8], name: &str) {
    let scratch = tempfile::tempdir().expect("tempdir");
    let dir = std::env::var_os("COMPTOIR_DOCUMENT_PNG_DIR")
        .map_or_else(|| scratch.path().to_owned(), Into::into);
    let pages = pdf_pages_png(pdf, &dir, name);
    assert_eq!(pages.len(), 1, "{name}: one page");
    assert!(std::fs::metadata(&pages[0]).expect("png").len() > 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prepared_then_shipped_order_gets_its_documents_for_its_parties_only() {
    let settings = settings().await;
    let app = TestApp::spawn(settings.clone()).await;
    let order = paid_order(&app).await;
    let _worker = WorkerChild::spawn(&settings, "reports");

    // Nothing before preparation.
    let none: Value = documents(&app, order.id, &order.client)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(none, json!([]));
    move_to(&app, &order, json!({"status": "preparing"})).await;
    let slip = pdf_text(&rendered(&app, &order, "packing_slip").await);
    for expected in [
        "PACKING SLIP",
        SHOP_NAME,
        &order.id.to_string(),
        CLIENT_NAME,
        RECIPIENT,
        STREET,
        "Lomé",
        "Total items: 3",
    ] {
        assert!(slip.contains(expected), "{expected} on the slip:\n{slip}");
    }
    for (sku, quantity) in order.skus.iter().zip(["2", "1"]) {
        let line = slip
            .lines()
            .find(|line| line.contains(sku.as_str()))
            .unwrap_or_else(|| panic!("{sku} on the slip:\n{slip}"));
        assert!(line.trim_end().ends_with(quantity), "{line}");
    }
    look_at(
        &rendered(&app, &order, "packing_slip").await,
        "packing-slip",
    );

    // Shipping takes the carrier, checked first.
    let path = format!("/v1/orders/{}", order.id);
    for (body, field) in [
        (
            json!({"status": "shipped", "tracking_number": "JD01;DROP"}),
            "tracking_number",
        ),
        (
            json!({"status": "shipped", "carrier": "x".repeat(101)}),
            "carrier",
        ),
        (json!({"status": "delivered", "carrier": "DHL"}), "carrier"),
    ] {
        let refused = app.patch(&path, Some(&order.seller), body).await;
        let problem = assert_problem(refused, 422, "validation_failed").await;
        assert!(problem["errors"][field].is_array(), "{problem}");
    }
    let shipped = move_to(
        &app,
        &order,
        json!({"status": "shipped", "carrier": "DHL Express", "tracking_number": "JD0146 0000 6281"}),
    )
    .await;
    assert_eq!(
        (&shipped["carrier"], &shipped["tracking_number"]),
        (&json!("DHL Express"), &json!("JD0146 0000 6281"))
    );
    let note_pdf = rendered(&app, &order, "delivery_note").await;
    let note = pdf_text(&note_pdf);
    for expected in [
        "DELIVERY NOTE",
        "DHL Express",
        "JD0146 0000 6281",
        RECIPIENT,
        CLIENT_NAME,
    ] {
        assert!(note.contains(expected), "{expected} on the note:\n{note}");
    }
    look_at(&note_pdf, "delivery-note");

    // The order's parties see the documents; another client or seller does not.
    for token in [&order.seller, &order.admin] {
        let listed: Value = documents(&app, order.id, token)
            .await
            .json()
            .await
            .expect("json");
        let kinds: Vec<&str> = listed
            .as_array()
            .expect("list")
            .iter()
            .map(|document| document["kind"].as_str().expect("kind"))
            .collect();
        assert_eq!(kinds, ["packing_slip", "delivery_note"]);
    }
    let (_, other_client) = app.user_with_role(Role::Client).await;
    let other_seller = app.shop().await.owner_token;
    for token in [&other_client, &other_seller] {
        assert_problem(documents(&app, order.id, token).await, 404, "not_found").await;
    }
    // A link is bound to its document.
    let listed: Value = documents(&app, order.id, &order.client)
        .await
        .json()
        .await
        .expect("json");
    let slip_url = listed[0]["download_url"].as_str().expect("url");
    let swapped = slip_url.replace("packing_slip", "delivery_note");
    let refused = app.client.get(&swapped).send().await.expect("answer");
    assert_problem(refused, 403, "invalid_download_link").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_job_run_twice_makes_one_document() {
    let settings = settings().await;
    let app = TestApp::spawn(settings.clone()).await;
    let order = paid_order(&app).await;
    move_to(&app, &order, json!({"status": "preparing"})).await;
    let (document, job): (Uuid, Uuid) =
        sqlx::query_as("SELECT id, job_id FROM order_documents WHERE order_id = $1")
            .bind(order.id)
            .fetch_one(&app.pool)
            .await
            .expect("the packing slip is queued with the status change");
    let renderer = || DocumentRenderer {
        pool: app.pool.clone(),
        storage: Storage::from_settings(&settings.storage).expect("storage"),
        fonts: FontFiles {
            unicode: settings.reports.pdf_font_path.clone(),
            fallback: settings.reports.pdf_fallback_font_path.clone(),
        },
    };

    // Two runs at once (a redelivery racing the first), then a third: one of them records it.
    let (one, two) = (renderer(), renderer());
    let (first, second) = tokio::join!(one.render(document), two.render(document));
    let recorded = [first.expect("render"), second.expect("render")];
    assert_eq!(
        recorded.iter().filter(|done| **done).count(),
        1,
        "{recorded:?}"
    );
    assert!(!renderer().render(document).await.expect("render"));
    let finished: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT finished_at FROM order_documents WHERE id = $1")
            .bind(document)
            .fetch_one(&app.pool)
            .await
            .expect("finished");

    // The queued job itself then runs in a worker process: it succeeds and changes nothing.
    let _worker = WorkerChild::spawn(&settings, "reports");
    wait_for_status(&app.pool, job, "succeeded", WAIT).await;
    let rows: Vec<(String, Option<chrono::DateTime<chrono::Utc>>)> =
        sqlx::query_as("SELECT kind, finished_at FROM order_documents WHERE order_id = $1")
            .bind(order.id)
            .fetch_all(&app.pool)
            .await
            .expect("rows");
    assert_eq!(rows, [("packing_slip".to_owned(), finished)]);
    let stored = settings.storage.root.join(format!("orders/{}", order.id));
    let files: Vec<_> = std::fs::read_dir(&stored).expect("stored").collect();
    assert_eq!(files.len(), 1, "one object under {}", stored.display());
    let pdf = rendered(&app, &order, "packing_slip").await;
    assert!(pdf_text(&pdf).contains(RECIPIENT));
}
