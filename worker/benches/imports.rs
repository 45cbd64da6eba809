//! Bulk import benchmark against the real services (see README "Benchmarks"): a generated CSV
//! of N rows uploaded through the API and imported by one real worker process — rows per
//! second and the worker's peak RSS (VmHWM) — next to its floor: `psql \copy` of the same rows,
//! as product columns of the same shop, into the bench database's real `products` table with
//! all its indexes, constraints and foreign keys, emptied again before the import.
//!
//! Run: `scripts/services.sh && COMPTOIR_ENV=test cargo bench -p comptoir-worker --bench imports`
//! Sizes: BENCH_IMPORT_ROWS (comma-separated, default "100000,1000000").

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use uuid::Uuid;

use comptoir_domain::config::Settings;
use comptoir_domain::new_id;
use comptoir_testkit::market::TestShop;
use comptoir_testkit::{TestApp, test_settings, wait_until, worker_env};

/// Rows of our format, varied enough to look like a real catalogue, into `csv`; the same rows
/// as `products` columns of `shop_id` (see [`FLOOR_COLUMNS`]) into `floor`.
fn generate(rows: usize, shop_id: Uuid, csv: &mut impl Write, floor: &mut impl Write) {
    csv.write_all(b"sku,name,description,price,currency,stock,color,size\n")
        .expect("write csv");
    let colors = ["indigo", "ochre", "white", "black"];
    let sizes = ["S", "M", "L", "XL"];
    for n in 0..rows {
        // XOF has no minor unit: the price is also the amount.
        let fields = format!(
            "SKU-{n:08},Boubou {n},\"Coton bazin, brodé main\",{},XOF,{},{},{}",
            5_000 + n % 95_000,
            n % 50,
            colors[n % 4],
            sizes[n % 4]
        );
        writeln!(csv, "{fields}").expect("write csv");
        writeln!(floor, "{},{shop_id},{fields}", new_id()).expect("write floor rows");
    }
}

const FLOOR_COLUMNS: &str =
    "id, shop_id, sku, name, description, price_amount, currency, stock, color, size";

/// Peak resident set of a process, in MiB.
fn peak_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    kib / 1024.0
}

/// Seconds `psql \copy` takes to load the floor rows at `path` into `products`, which is then
/// emptied so that the import starts from the same empty table.
fn psql_copy(settings: &Settings, path: &Path) -> f64 {
    let url = settings.database.url.expose();
    let run = |sql: &str| {
        let status = Command::new("psql")
            .args(["-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql])
            .stdout(Stdio::null())
            .status()
            .expect("psql runs");
        assert!(status.success(), "psql failed: {sql}");
    };
    let started = Instant::now();
    run(&format!(
        "\\copy products ({FLOOR_COLUMNS}) FROM '{}' CSV",
        path.display()
    ));
    let seconds = started.elapsed().as_secs_f64();
    run("TRUNCATE products CASCADE");
    seconds
}

struct Measured {
    seconds: f64,
    peak_rss_mib: f64,
}

async fn import_once(app: &TestApp, shop: &TestShop, rows: usize, csv: Vec<u8>) -> Measured {
    let form = Form::new()
        .text("shop_id", shop.id.to_string())
        .part("file", Part::bytes(csv).file_name("products.csv"));
    let accepted: Value = app
        .upload("/v1/products/bulk", &shop.owner_token, form)
        .await
        .json()
        .await
        .expect("json");
    let id = accepted["id"].as_str().expect("id").to_owned();
    let mut worker = Command::new(env!("CARGO_BIN_EXE_comptoir-worker"))
        .args(["--queues", "imports"])
        .envs(worker_env(&app.settings))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("worker binary");
    let (started, finished): (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) =
        wait_until("the import to end", Duration::from_secs(1800), || async {
            let path = format!("/v1/imports/{id}");
            let import: Value = app
                .get(&path, Some(&shop.owner_token))
                .await
                .json()
                .await
                .ok()?;
            if import["status"] != "succeeded" {
                assert_ne!(import["status"], "failed", "{import}");
                return None;
            }
            assert_eq!(import["progress"]["created"], json!(rows), "{import}");
            let time = |key: &str| import[key].as_str()?.parse().ok();
            Some((time("started_at")?, time("finished_at")?))
        })
        .await;
    let peak_rss_mib = peak_rss_mib(worker.id());
    worker.kill().expect("stop the worker");
    worker.wait().expect("reaped");
    Measured {
        seconds: (finished - started).num_milliseconds() as f64 / 1000.0,
        peak_rss_mib,
    }
}

#[tokio::main]
async fn main() {
    let sizes: Vec<usize> = std::env::var("BENCH_IMPORT_ROWS")
        .unwrap_or_else(|_| "100000,1000000".to_owned())
        .split(',')
        .filter_map(|size| size.trim().parse().ok())
        .collect();
    println!(
        "| rows | CSV | import (worker) | rows/s | worker peak RSS | \\copy into products | rows/s | ratio |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for rows in sizes {
        let app = TestApp::spawn(test_settings(&[]).await).await;
        let shop = app.shop().await;
        app.set_item_limit(shop.id, rows).await;
        let floor_file = tempfile::NamedTempFile::new().expect("temp file");
        let mut floor = BufWriter::new(floor_file.as_file());
        let mut csv = Vec::with_capacity(rows * 90);
        generate(rows, shop.id, &mut csv, &mut floor);
        floor.flush().expect("flush floor rows");
        drop(floor);
        let megabytes = csv.len() as f64 / 1_048_576.0;
        let copy = psql_copy(&app.settings, floor_file.path());
        let import = import_once(&app, &shop, rows, csv).await;
        println!(
            "| {rows} | {megabytes:.1} MiB | {:.2} s | {:.0} | {:.1} MiB | {copy:.2} s | {:.0} | {:.2} |",
            import.seconds,
            rows as f64 / import.seconds,
            import.peak_rss_mib,
            rows as f64 / copy,
            copy / import.seconds,
        );
    }
}
