//! Catalogue benchmark (see README "Benchmarks"): `GET /v1/products` over a generated catalogue
//! of 100k products in 50 shops, for a mix of filters and sorts, 16 requests in flight, first
//! with the Redis cache off (every request reads PostgreSQL: what a first hit, or a client
//! varying its query, costs), then with it on; then the query plans of the same statements.
//!
//! Run: `scripts/services.sh && COMPTOIR_ENV=test cargo bench -p comptoir-api --bench catalogue`
//! Sizes: BENCH_PRODUCTS (default 100000), BENCH_REQUESTS per scenario (default 2000).

use std::time::Instant;

use futures::{StreamExt, stream};
use serde_json::json;

use comptoir_domain::catalogue::{self, CatalogueFilter, Sort};
use comptoir_domain::pagination::PageRequest;
use comptoir_testkit::bench::{env_number, percentile};
use comptoir_testkit::{TestApp, test_settings};

const CONCURRENCY: usize = 16;

/// 50 shops (5 blocked), 12 categories in two levels, `products` products with varied prices,
/// colors, sizes, names and popularity; then ANALYZE.
async fn seed(app: &TestApp, products: usize) {
    let statements = [
        "INSERT INTO users (id, email, password_hash, name, role) \
         SELECT gen_random_uuid(), 'owner' || i || '@bench.test', 'x', 'Owner ' || i, 'seller' FROM generate_series(1, 50) i",
        "INSERT INTO shops (id, owner_id, name, status, start_date, end_date, item_limit) \
         SELECT gen_random_uuid(), u.id, 'Shop ' || u.name, CASE WHEN row_number() OVER () <= 5 THEN 'blocked' ELSE 'active' END, \
                now() - interval '1 day', now() + interval '30 days', 1000000 FROM users u WHERE u.email LIKE '%@bench.test'",
        "INSERT INTO categories (id, parent_id, name) SELECT gen_random_uuid(), NULL, 'Root ' || i FROM generate_series(1, 3) i",
        "INSERT INTO categories (id, parent_id, name) SELECT gen_random_uuid(), c.id, c.name || ' / ' || i \
         FROM categories c CROSS JOIN generate_series(1, 3) i WHERE c.parent_id IS NULL",
    ];
    for statement in statements {
        sqlx::query(statement)
            .execute(&app.pool)
            .await
            .expect("seed");
    }
    sqlx::query(
        "WITH s AS (SELECT array_agg(id) AS ids FROM shops), c AS (SELECT array_agg(id) AS ids FROM categories WHERE parent_id IS NOT NULL) \
         INSERT INTO products (id, shop_id, sku, name, description, price_amount, currency, stock, category_id, color, size, \
                               published, views, sales, created_at) \
         SELECT gen_random_uuid(), s.ids[1 + i % 50], 'SKU-' || i, \
                (ARRAY['boubou','sandals','dress','shirt','basket','necklace','sneakers','scarf'])[1 + i % 8] || ' ' || \
                (ARRAY['wax','leather','cotton','indigo','bogolan'])[1 + i % 5] || ' ' || i, 'Handmade in Dakar, model ' || i, \
                100 + (i * 7919) % 200000, 'XOF', i % 40, c.ids[1 + i % 9], \
                (ARRAY['red','blue','green','black','white','yellow'])[1 + i % 6], (ARRAY['S','M','L','XL','40','42'])[1 + (i / 6) % 6], \
                i % 20 <> 0, (i * 31) % 5000, (i * 17) % 900, now() - make_interval(secs => i) \
         FROM generate_series(1, $1) i, s, c",
    )
    .bind(products as i32)
    .execute(&app.pool)
    .await
    .expect("seed products");
    sqlx::query("ANALYZE")
        .execute(&app.pool)
        .await
        .expect("analyze");
}

/// (req/s, p50 ms, p99 ms) of `requests` GETs of `query`.
async fn scenario(app: &TestApp, query: &str, requests: usize) -> (f64, f64, f64) {
    let url = format!("{}/v1/products?{query}", app.address);
    let started = Instant::now();
    let mut latencies: Vec<f64> = stream::iter(0..requests)
        .map(|_| {
            let request = app.client.get(&url);
            async move {
                let sent = Instant::now();
                let response = request.send().await.expect("response");
                assert!(response.status().is_success(), "{}", response.status());
                response.bytes().await.expect("body");
                sent.elapsed().as_secs_f64() * 1000.0
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    (
        requests as f64 / elapsed,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
    )
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let products = env_number("BENCH_PRODUCTS", 100_000);
    let requests = env_number("BENCH_REQUESTS", 2000);
    let settings = test_settings(&[
        ("server.workers", json!(2)),
        ("database.max_connections", json!(20)),
    ])
    .await;
    let mut uncached = settings.clone();
    uncached.catalogue.cache_ttl_secs = 0;
    let app = TestApp::spawn(settings).await;
    let uncached = TestApp::spawn(uncached).await;
    let seeding = Instant::now();
    seed(&app, products).await;
    println!(
        "seeded {products} products in {:.1} s\n",
        seeding.elapsed().as_secs_f64()
    );
    let category: String = sqlx::query_scalar(
        "SELECT id::text FROM categories WHERE parent_id IS NULL ORDER BY name LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .expect("category");
    let scenarios = [
        ("newest, first page", "sort=newest".to_owned()),
        ("popular", "sort=popular".to_owned()),
        (
            "category subtree by price",
            format!("category={category}&sort=price"),
        ),
        ("color + size", "color=red&size=M".to_owned()),
        (
            "price range, -price",
            "min_price=5000&max_price=6000&sort=-price".to_owned(),
        ),
        ("text search", "q=sandals+leather".to_owned()),
        ("text search, no match", "q=zzzz".to_owned()),
        ("deep page", "sort=price&page=200&per_page=50".to_owned()),
    ];
    println!(
        "| scenario | query | uncached req/s | p50 ms | p99 ms | cached req/s | p50 ms | p99 ms |\n\
         |---|---|---|---|---|---|---|---|"
    );
    for (name, query) in &scenarios {
        let (cold_rate, cold_p50, cold_p99) = scenario(&uncached, query, requests).await;
        // The cached run starts empty: its first request is a miss, counted with the hits.
        let (rate, p50, p99) = scenario(&app, query, requests).await;
        println!(
            "| {name} | `{query}` | {cold_rate:.0} | {cold_p50:.1} | {cold_p99:.1} | {rate:.0} | {p50:.1} | {p99:.1} |"
        );
    }

    println!("\nquery plans (EXPLAIN ANALYZE of the page statement):");
    let plans = [
        ("newest", CatalogueFilter::default(), Sort::Newest),
        ("popular", CatalogueFilter::default(), Sort::Popular),
        (
            "text search",
            CatalogueFilter {
                q: Some("sandals leather".into()),
                ..CatalogueFilter::default()
            },
            Sort::Newest,
        ),
        (
            "text search, no match",
            CatalogueFilter {
                q: Some("zzzz".into()),
                ..CatalogueFilter::default()
            },
            Sort::Newest,
        ),
        (
            "price range",
            CatalogueFilter {
                min_price: Some(5000),
                max_price: Some(6000),
                ..CatalogueFilter::default()
            },
            Sort::PriceDescending,
        ),
    ];
    for (name, filter, sort) in plans {
        let plan = catalogue::explain(&app.pool, &filter, sort, PageRequest::default())
            .await
            .expect("explain");
        println!("-- {name}\n{}", plan.join("\n"));
    }
}
