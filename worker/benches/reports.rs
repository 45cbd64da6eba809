//! Report benchmark (see README "Benchmarks"): `orders_detail` over BENCH_LINES order lines
//! (default 1,000,000) in each format, each generation in a fresh process run under
//! `/usr/bin/time`, so the wall time and peak RSS are the worker's own. In the same run, the peers:
//! `psql \copy (same query) to file csv` (the floor for CSV), and Python XlsxWriter in
//! constant_memory mode writing the same rows (read from that CSV) to XLSX.
//! PDF is a reading format with its own cap (`reports.pdf_max_rows`): it runs over the first
//! BENCH_PDF_DAYS days (1,000 lines a day).
//!
//! Run: `scripts/services.sh && COMPTOIR_ENV=test cargo bench -p comptoir-worker --bench reports`

use std::time::Instant;

use chrono::NaiveDate;
use serde_json::json;
use uuid::Uuid;

use comptoir_domain::report_rows::spec;
use comptoir_domain::reports::{self, NewReport, ReportFilters, ReportFormat, ReportType};
use comptoir_domain::{PgPool, db};
use comptoir_jobs::Producer;
use comptoir_jobs::reports::GenerateReport;
use comptoir_storage::Storage;
use comptoir_testkit::bench::{child_env, child_settings, env_number, measure, timed};
use comptoir_testkit::test_settings;
use comptoir_worker::reports::ReportGenerator;

const CHILD: &str = "BENCH_REPORT_CHILD";
const LINES_PER_ORDER: usize = 4;
const LINES_PER_DAY: usize = 1_000;
const FIRST_DAY: &str = "2024-01-01";

/// In the child: generates report `id` and exits.
async fn child(id: Uuid) {
    let settings = child_settings();
    let pool = db::pool(&settings.database).expect("pool");
    let generator = ReportGenerator {
        pool: pool.clone(),
        storage: Storage::from_settings(&settings.storage).expect("storage"),
        producer: Producer::new(&settings),
        settings: settings.reports.clone(),
        public_url: settings.server.public_url.clone(),
    };
    if let Err(err) = generator.run(&GenerateReport { report_id: id }, true).await {
        panic!("report failed: {err}");
    }
}

async fn seed(pool: &PgPool, lines: usize) {
    let orders = lines / LINES_PER_ORDER;
    let orders_per_day = LINES_PER_DAY / LINES_PER_ORDER;
    let statements = [
        "INSERT INTO users (id, email, password_hash, name, role) VALUES \
         ('00000000-0000-7000-8000-000000000001', 'seller@bench.test', 'x', 'Awa Diallo', 'seller'), \
         ('00000000-0000-7000-8000-000000000002', 'client@bench.test', 'x', 'Иван Петров', 'client')"
            .to_owned(),
        "INSERT INTO shops (id, owner_id, name, start_date, end_date, item_limit) VALUES \
         ('00000000-0000-7000-8000-000000000003', '00000000-0000-7000-8000-000000000001', 'Chez Awa', \
          now() - interval '1 day', now() + interval '30 days', 1000)"
            .to_owned(),
        "INSERT INTO products (id, shop_id, sku, name, price_amount, currency, stock) \
         SELECT gen_random_uuid(), '00000000-0000-7000-8000-000000000003', 'SKU-' || g, 'Pagne wax ' || g, 100 * g, 'EUR', g \
         FROM generate_series(1, 100) g"
            .to_owned(),
        format!(
            "INSERT INTO orders (id, client_id, shop_id, status, currency, subtotal_amount, total_amount, created_at) \
             SELECT gen_random_uuid(), '00000000-0000-7000-8000-000000000002', '00000000-0000-7000-8000-000000000003', \
               'paid', 'EUR', 4000, 4000, '{FIRST_DAY}'::timestamptz + (g / {orders_per_day}) * interval '1 day' + (g % {orders_per_day}) * interval '1 second' \
             FROM generate_series(0, {orders} - 1) g"
        ),
        format!(
            "INSERT INTO order_lines (id, order_id, product_id, sku, name, unit_price_amount, quantity, line_total_amount) \
             SELECT gen_random_uuid(), o.id, p.id, p.sku, p.name, p.price_amount, 1 + l % 3, p.price_amount * (1 + l % 3) \
             FROM orders o CROSS JOIN generate_series(1, {LINES_PER_ORDER}) l \
             JOIN products p ON p.sku = 'SKU-' || (1 + abs(hashtext(o.id::text || l)) % 100)"
        ),
        "ANALYZE".to_owned(),
    ];
    for statement in statements {
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(pool)
            .await
            .expect("seed");
    }
}

fn report_line(what: &str, rows: i64, (secs, mib): (f64, f64)) {
    println!(
        "{what:<34} {rows:>9} rows {secs:>8.2} s {:>10.0} rows/s {mib:>8.1} MiB peak RSS",
        rows as f64 / secs
    );
}

#[tokio::main]
async fn main() {
    if let Ok(id) = std::env::var(CHILD) {
        child(id.parse().expect("report id")).await;
        return;
    }
    let lines = env_number("BENCH_LINES", 1_000_000);
    let pdf_days = env_number("BENCH_PDF_DAYS", 20);
    let storage = std::env::temp_dir().join(format!("comptoir-bench-{}", Uuid::now_v7()));
    let settings = test_settings(&[("storage.root", json!(storage))]).await;
    let pool = db::pool(&settings.database).expect("pool");
    db::migrate(&pool).await.expect("migrations");
    let started = Instant::now();
    seed(&pool, lines).await;
    println!(
        "seeded {lines} order lines in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let first = NaiveDate::parse_from_str(FIRST_DAY, "%Y-%m-%d").expect("date");
    let last_day = first + chrono::Days::new((lines / LINES_PER_DAY) as u64 + 1);
    let pdf_last = first + chrono::Days::new(pdf_days as u64 - 1);
    let mut env = child_env(&settings, &storage);
    env.push(("COMPTOIR__REPORTS__MAX_ROWS", (lines + 1).to_string()));
    let (_, requester) =
        sqlx::query_as::<_, (i64, Uuid)>("SELECT 0::bigint, id FROM users WHERE role = 'client'")
            .fetch_one(&pool)
            .await
            .expect("a user");
    let mut csv_file = None;
    for format in [
        ReportFormat::Csv,
        ReportFormat::Json,
        ReportFormat::Xlsx,
        ReportFormat::Pdf,
    ] {
        let date_to = if format == ReportFormat::Pdf {
            pdf_last
        } else {
            last_day
        };
        let mut tx = pool.begin().await.expect("tx");
        let report = reports::insert(
            &mut tx,
            NewReport {
                requested_by: requester,
                scope_owner_id: None,
                kind: ReportType::OrdersDetail,
                format,
                date_from: first,
                date_to,
                filters: &ReportFilters::default(),
            },
        )
        .await
        .expect("report row");
        tx.commit().await.expect("commit");
        let mut command = timed(
            std::env::current_exe()
                .expect("exe")
                .to_str()
                .expect("utf-8"),
        );
        command
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env(CHILD, report.id.to_string());
        let measured = measure(&mut command);
        let (rows, key): (i64, String) =
            sqlx::query_as("SELECT row_count, file_key FROM reports WHERE id = $1")
                .bind(report.id)
                .fetch_one(&pool)
                .await
                .expect("finished report");
        report_line(&format!("comptoir {}", format.as_str()), rows, measured);
        if format == ReportFormat::Csv {
            csv_file = Some(storage.join(key));
        }
    }

    // The floor: Postgres itself writing the same query's rows as CSV.
    // \copy takes no parameters: the same statement with them written in.
    let literals = [
        format!("'{first}'"),
        format!("'{last_day}'"),
        "NULL".into(),
        "NULL".into(),
        "NULL".into(),
        "NULL".into(),
    ];
    let mut sql = spec(ReportType::OrdersDetail).sql().to_owned();
    for (index, literal) in literals.iter().enumerate() {
        sql = sql.replace(&format!("${}", index + 1), literal);
    }
    let floor = storage.join("floor.csv");
    let copy = format!("\\copy ({sql}) to '{}' csv header", floor.display());
    let measured = measure(timed("psql").args([settings.database.url.expose(), "-q", "-c", &copy]));
    report_line("psql \\copy to csv (floor)", lines as i64, measured);

    // The peer for XLSX: XlsxWriter, constant_memory, typed cells, rows from the CSV above.
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/xlsxwriter_peer.py");
    let source = csv_file.expect("the CSV report");
    let out = storage.join("peer.xlsx");
    let measured = measure(timed("/usr/bin/python3").arg(script).arg(&source).arg(&out));
    report_line("python XlsxWriter constant_memory", lines as i64, measured);
    let _ = std::fs::remove_dir_all(&storage);
}
