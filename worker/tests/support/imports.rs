//! Bulk import helpers: upload through the API, wait for the import to end, read its errors,
//! and build ZIP archives (including hostile ones) in memory.

use std::io::Write;
use std::time::Duration;

use reqwest::multipart::{Form, Part};
use serde_json::Value;
use uuid::Uuid;

use comptoir_testkit::{TestApp, wait_until};

pub const WAIT: Duration = Duration::from_secs(60);

/// What to upload to `POST /v1/products/bulk`.
pub struct Upload<'a> {
    pub shop_id: Uuid,
    pub csv: &'a [u8],
    pub zip: Option<Vec<u8>>,
    pub dry_run: bool,
    pub currency: Option<&'a str>,
}

impl<'a> Upload<'a> {
    pub fn csv(shop_id: Uuid, csv: &'a [u8]) -> Self {
        Self {
            shop_id,
            csv,
            zip: None,
            dry_run: false,
            currency: None,
        }
    }

    pub fn form(&self) -> Form {
        let mut form = Form::new().text("shop_id", self.shop_id.to_string()).part(
            "file",
            Part::bytes(self.csv.to_vec()).file_name("products.csv"),
        );
        if let Some(zip) = &self.zip {
            form = form.part("images", Part::bytes(zip.clone()).file_name("images.zip"));
        }
        if self.dry_run {
            form = form.text("dry_run", "true");
        }
        if let Some(currency) = self.currency {
            form = form.text("currency", currency.to_owned());
        }
        form
    }
}

/// Uploads and returns the accepted import's id (asserting 202 and its Location).
pub async fn start_import(app: &TestApp, token: &str, upload: &Upload<'_>) -> Uuid {
    let response = app.upload("/v1/products/bulk", token, upload.form()).await;
    assert_eq!(response.status(), 202, "import accepted");
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["status"], "queued");
    assert_eq!(
        location,
        format!("/v1/imports/{}", body["id"].as_str().expect("id"))
    );
    body["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("id")
}

/// Polls `GET /v1/imports/{id}` until the import has ended; returns it.
pub async fn finished_import(app: &TestApp, token: &str, id: Uuid) -> Value {
    wait_until(&format!("import {id} to end"), WAIT, || async {
        let import: Value = app
            .get(&format!("/v1/imports/{id}"), Some(token))
            .await
            .json()
            .await
            .expect("json");
        matches!(import["status"].as_str(), Some("succeeded" | "failed")).then_some(import)
    })
    .await
}

/// Uploads, waits for the end, and returns the import.
pub async fn run_import(app: &TestApp, token: &str, upload: &Upload<'_>) -> Value {
    let id = start_import(app, token, upload).await;
    finished_import(app, token, id).await
}

/// The import's progress as (total_rows, processed, created, updated, failed).
pub fn counts(import: &Value) -> (i64, i64, i64, i64, i64) {
    let progress = &import["progress"];
    let n = |key: &str| progress[key].as_i64().expect("count");
    (
        n("total_rows"),
        n("processed"),
        n("created"),
        n("updated"),
        n("failed"),
    )
}

/// The error CSV of an import as (line, column, reason) rows.
pub async fn errors_of(app: &TestApp, token: &str, import: &Value) -> Vec<(i64, String, String)> {
    let url = import["errors_url"].as_str().expect("errors_url");
    let response = app.get(url, Some(token)).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/csv")
    );
    let text = response.text().await.expect("csv");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().expect("header"),
        vec!["line", "column", "reason"]
    );
    reader
        .records()
        .map(|record| {
            let record = record.expect("record");
            (
                record[0].parse().expect("line"),
                record[1].to_owned(),
                record[2].to_owned(),
            )
        })
        .collect()
}

/// A ZIP of `(name, bytes)` entries, deflated.
pub fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        writer.start_file(*name, options).expect("entry");
        writer.write_all(bytes).expect("write");
    }
    writer.finish().expect("zip").into_inner()
}

/// Products of a shop as (sku, name, price, currency, stock), by SKU.
pub async fn products_of(app: &TestApp, shop_id: Uuid) -> Vec<(String, String, i64, String, i32)> {
    sqlx::query_as(
        "SELECT sku, name, price_amount, currency::text, stock FROM products \
         WHERE shop_id = $1 AND deleted_at IS NULL ORDER BY sku",
    )
    .bind(shop_id)
    .fetch_all(&app.pool)
    .await
    .expect("products")
}
