//! The catalogue's Redis cache: repeat reads are served from it, every write the catalogue
//! shows retires it before the write's answer, Redis down only means uncached answers, and a
//! query past its statement timeout is a clean 503.

use reqwest::Method;
use serde_json::{Value, json};

use comptoir_testkit::app::{assert_problem, unique_email};
use comptoir_testkit::{TestApp, spawn_app, spawn_app_with};

use super::{body, create, product, shop};

/// The listing's `(X-Cache, body)`.
async fn read(app: &TestApp, path: &str) -> (String, Value) {
    let response = app.get(path, None).await;
    assert_eq!(response.status(), 200);
    let cache = response.headers()["x-cache"]
        .to_str()
        .expect("ascii")
        .to_owned();
    (cache, body(response).await)
}

/// Reads twice, so the next read would be a cache hit, and returns the cached page.
async fn warm(app: &TestApp, path: &str) -> Value {
    read(app, path).await;
    let (cache, page) = read(app, path).await;
    assert_eq!(cache, "hit", "{path}");
    page
}

#[tokio::test]
async fn the_catalogue_serves_repeat_reads_from_its_cache() {
    let app = spawn_app().await;
    let (shop_id, seller, _) = shop(&app, 10).await;
    create(&app, &seller, product(&shop_id, "A", 100)).await;
    let listing = format!("/v1/products?shop_id={shop_id}");
    let (cache, first) = read(&app, &listing).await;
    assert_eq!(cache, "miss");
    let (cache, again) = read(&app, &listing).await;
    assert_eq!((cache.as_str(), &again), ("hit", &first));
    let (cache, _) = read(&app, &format!("{listing}&sort=price")).await;
    assert_eq!(cache, "miss", "the sort is part of the key");

    // A row written behind the API's back (no generation bump) stays unseen until the next
    // write through the API: proof that the answer above came from the cache.
    sqlx::query(
        "INSERT INTO products (id, shop_id, sku, name, price_amount, currency) \
         VALUES (gen_random_uuid(), $1::uuid, 'SQL', 'Pagne', 100, 'XOF')",
    )
    .bind(&shop_id)
    .execute(&app.pool)
    .await
    .expect("insert");
    assert_eq!(read(&app, &listing).await.1["total"], 1);
    create(&app, &seller, product(&shop_id, "B", 100)).await;
    let (cache, fresh) = read(&app, &listing).await;
    assert_eq!((cache.as_str(), &fresh["total"]), ("miss", &json!(3)));
}

#[tokio::test]
async fn every_write_the_catalogue_shows_retires_its_cached_pages() {
    let app = spawn_app().await;
    let (shop_id, seller, admin) = shop(&app, 10).await;
    let item = create(&app, &seller, product(&shop_id, "P", 100)).await;
    let path = format!("/v1/products/{}", item["id"].as_str().expect("id"));
    let shop_path = format!("/v1/shops/{shop_id}");
    let listing = format!("/v1/products?shop_id={shop_id}");
    let listed = async |app: &TestApp| read(app, &listing).await.1["items"].clone();

    warm(&app, &listing).await;
    let changed = json!({"price": {"amount": 250, "currency": "XOF"}});
    app.patch(&path, Some(&seller), changed).await;
    assert_eq!(listed(&app).await[0]["price"]["amount"], 250, "price");

    warm(&app, &listing).await;
    app.patch(&path, Some(&seller), json!({"published": false}))
        .await;
    assert_eq!(listed(&app).await, json!([]), "unpublished");
    app.patch(&path, Some(&seller), json!({"published": true}))
        .await;

    warm(&app, &listing).await;
    app.patch(&shop_path, Some(&admin), json!({"status": "blocked"}))
        .await;
    assert_eq!(listed(&app).await, json!([]), "shop blocked");
    app.patch(&shop_path, Some(&admin), json!({"status": "active"}))
        .await;
    assert_eq!(listed(&app).await[0]["sku"], "P", "shop back");

    warm(&app, &listing).await;
    let client = app
        .register(&unique_email("buyer"), "correct horse battery")
        .await;
    let order = json!({"items": [{"product_id": item["id"], "quantity": 5}]});
    let client = client["access_token"].as_str().expect("token");
    assert_eq!(
        app.post("/v1/orders", Some(client), order).await.status(),
        201
    );
    assert_eq!(listed(&app).await[0]["in_stock"], false, "sold out");

    warm(&app, &listing).await;
    let skipped = app
        .post(&format!("{shop_path}/skip"), Some(&admin), json!({}))
        .await;
    assert_eq!(skipped.status(), 200);
    assert_eq!(listed(&app).await, json!([]), "shop skipped");
    app.patch(&shop_path, Some(&admin), json!({"status": "active"}))
        .await;

    warm(&app, &listing).await;
    let deleted = app
        .request(Method::DELETE, &path, Some(&seller), None)
        .await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(listed(&app).await, json!([]), "deleted");
}

#[tokio::test]
async fn the_catalogue_answers_from_postgres_while_redis_is_down() {
    // Nothing listens on port 1.
    let app = spawn_app_with(&[("redis.url", json!("redis://127.0.0.1:1/"))]).await;
    let (shop_id, seller, _) = shop(&app, 10).await;
    let listing = format!("/v1/products?shop_id={shop_id}");
    assert_eq!(read(&app, &listing).await.1["total"], 0);
    create(&app, &seller, product(&shop_id, "R", 100)).await;
    let (cache, page) = read(&app, &listing).await;
    assert_eq!((cache.as_str(), &page["total"]), ("miss", &json!(1)));
}

#[tokio::test]
async fn a_catalogue_query_past_its_statement_timeout_is_a_503() {
    let app = spawn_app_with(&[("catalogue.statement_timeout_ms", json!(200))]).await;
    // The query waits on a lock held here, and its statement timeout counts the wait.
    let mut lock = app.pool.begin().await.expect("tx");
    sqlx::query("LOCK TABLE products IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .expect("lock");
    let response = app.get("/v1/products?q=boubou", None).await;
    assert_eq!(response.headers()["retry-after"], "5");
    assert_problem(response, 503, "query_timeout").await;
    lock.rollback().await.expect("unlock");
    assert_eq!(app.get("/v1/products?q=boubou", None).await.status(), 200);
}
