//! Personal data export benchmark (see README "Benchmarks"): a client with BENCH_EXPORT_ORDERS
//! orders (default "10000,100000"; each with 3 lines, a shipping address and a payment) exports
//! their data; each export runs in a fresh process under `/usr/bin/time`, so the wall time and
//! the peak RSS are the exporter's own. Memory must not grow with the orders.
//!
//! Run: `scripts/services.sh && COMPTOIR_ENV=test cargo bench -p comptoir-worker --bench exports`

use serde_json::json;
use uuid::Uuid;

use comptoir_domain::{PgPool, db, new_id};
use comptoir_jobs::Producer;
use comptoir_jobs::privacy::ExportPersonalData;
use comptoir_storage::Storage;
use comptoir_testkit::bench::{child_env, child_settings, measure, timed};
use comptoir_testkit::test_settings;
use comptoir_worker::privacy::DataExporter;

const CHILD: &str = "BENCH_EXPORT_CHILD";

/// In the child: runs export `id` and exits.
async fn child(id: Uuid) {
    let settings = child_settings();
    let pool = db::pool(&settings.database).expect("pool");
    let exporter = DataExporter {
        pool: pool.clone(),
        storage: Storage::from_settings(&settings.storage).expect("storage"),
        producer: Producer::new(&settings),
        settings: settings.privacy.clone(),
        signing_secret: settings.reports.signing_secret.clone(),
        public_url: settings.server.public_url.clone(),
    };
    if let Err(err) = exporter
        .run(&ExportPersonalData { export_id: id }, true)
        .await
    {
        panic!("export failed: {err}");
    }
}

/// A client with `orders` orders in one shop; returns their id.
async fn seed(pool: &PgPool, orders: usize) -> Uuid {
    let (client, seller, shop) = (new_id(), new_id(), new_id());
    let statements = [
        format!(
            "INSERT INTO users (id, email, password_hash, name, role) VALUES \
             ('{seller}', 'seller-{seller}@bench.test', 'x', 'Awa Diallo', 'seller'), \
             ('{client}', 'client-{client}@bench.test', 'x', 'Иван Петров', 'client')"
        ),
        format!(
            "INSERT INTO shops (id, owner_id, name, start_date, end_date, item_limit) VALUES \
             ('{shop}', '{seller}', 'Chez Awa', now() - interval '1 day', now() + interval '30 days', 1000)"
        ),
        format!(
            "INSERT INTO products (id, shop_id, sku, name, price_amount, currency, stock) \
             SELECT gen_random_uuid(), '{shop}', 'SKU-' || g, 'Pagne wax ' || g, 100 * g, 'EUR', 1000 \
             FROM generate_series(1, 50) g"
        ),
        format!(
            "INSERT INTO orders (id, client_id, shop_id, status, currency, subtotal_amount, \
               total_amount, shipping_address, created_at) \
             SELECT gen_random_uuid(), '{client}', '{shop}', 'delivered', 'EUR', 4500, 4500, \
               jsonb_build_object('name', 'Иван Петров', 'line1', (g % 7) || ' rue des Baobabs', \
                                  'city', 'Dakar', 'country', 'SN'), \
               now() - g * interval '1 minute' \
             FROM generate_series(1, {orders}) g"
        ),
        format!(
            "INSERT INTO order_lines (id, order_id, product_id, sku, name, unit_price_amount, \
               quantity, line_total_amount) \
             SELECT gen_random_uuid(), o.id, p.id, p.sku, p.name, p.price_amount, l, p.price_amount * l \
             FROM orders o CROSS JOIN generate_series(1, 3) l \
             JOIN products p ON p.shop_id = o.shop_id AND p.sku = 'SKU-' || (10 * l) \
             WHERE o.client_id = '{client}'"
        ),
        format!(
            "INSERT INTO payments (id, order_id, provider, provider_ref, status, amount, currency) \
             SELECT gen_random_uuid(), id, 'stripe', 'cs_' || id, 'succeeded', 4500, 'EUR' \
             FROM orders WHERE client_id = '{client}'"
        ),
        "ANALYZE".to_owned(),
    ];
    for statement in statements {
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(pool)
            .await
            .expect("seed");
    }
    client
}

#[tokio::main]
async fn main() {
    if let Ok(id) = std::env::var(CHILD) {
        child(id.parse().expect("export id")).await;
        return;
    }
    let sizes: Vec<usize> = std::env::var("BENCH_EXPORT_ORDERS")
        .unwrap_or_else(|_| "10000,100000".to_owned())
        .split(',')
        .map(|size| size.trim().parse().expect("a number of orders"))
        .collect();
    let storage = std::env::temp_dir().join(format!("comptoir-bench-{}", Uuid::now_v7()));
    let settings = test_settings(&[("storage.root", json!(storage))]).await;
    let pool = db::pool(&settings.database).expect("pool");
    db::migrate(&pool).await.expect("migrations");
    let env = child_env(&settings, &storage);
    println!(
        "{:>8} {:>9} {:>12} {:>10} {:>14}",
        "orders", "seconds", "orders/s", "ZIP MiB", "peak RSS MiB"
    );
    for orders in sizes {
        let client = seed(&pool, orders).await;
        let export: Uuid = sqlx::query_scalar(
            "INSERT INTO data_exports (id, user_id) VALUES ($1, $2) RETURNING id",
        )
        .bind(new_id())
        .bind(client)
        .fetch_one(&pool)
        .await
        .expect("export row");
        let mut command = timed(
            std::env::current_exe()
                .expect("exe")
                .to_str()
                .expect("utf-8"),
        );
        command
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env(CHILD, export.to_string());
        let (secs, rss) = measure(&mut command);
        let size: i64 = sqlx::query_scalar(
            "SELECT file_size FROM data_exports WHERE id = $1 AND status = 'succeeded'",
        )
        .bind(export)
        .fetch_one(&pool)
        .await
        .expect("a finished export");
        println!(
            "{orders:>8} {secs:>9.2} {:>12.0} {:>10.1} {rss:>14.1}",
            orders as f64 / secs,
            size as f64 / (1024.0 * 1024.0)
        );
    }
    let _ = std::fs::remove_dir_all(&storage);
}
