//! Known data for the report tests (March 2026): two shops, three products (one Cyrillic, one
//! Arabic, one whose name is a formula), five orders (one cancelled, one outside the period) and
//! three payments; plus helpers to request a report, wait for it and download its file.

use std::time::Duration;

use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use comptoir_domain::types::Role;
use comptoir_testkit::market::TestProduct;
use comptoir_testkit::{TestApp, wait_until};

pub const PERIOD: (&str, &str) = ("2026-03-01", "2026-03-31");
pub const CLIENT_NAME: &str = "Иван Петров";
pub const ARABIC_PRODUCT: &str = "فستان";
pub const FORMULA_PRODUCT: &str = "=1+2";

pub struct Market {
    pub admin: String,
    /// Seller A, owner of "Chez Awa" (orders 1-3 and 5).
    pub seller: String,
    pub seller_email: String,
    pub shop_a: Uuid,
    /// Seller B's "Dar Salam" (order 4).
    pub other_seller: String,
    pub shop_b: Uuid,
}

async fn exec(pool: &PgPool, sql: &str, binds: &[Value]) {
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
    for bind in binds {
        query = match bind {
            Value::String(text) => match text.parse::<Uuid>() {
                Ok(id) => query.bind(id),
                Err(_) => query.bind(text.clone()),
            },
            Value::Number(n) => query.bind(n.as_i64().expect("integer")),
            other => panic!("unsupported bind {other}"),
        };
    }
    query.execute(pool).await.expect("fixture statement");
}

async fn product(
    app: &TestApp,
    shop: Uuid,
    sku: &str,
    name: &str,
    price: i64,
    currency: &str,
    stock: i32,
) -> Uuid {
    let id = app
        .product(
            shop,
            TestProduct {
                price,
                currency,
                stock,
                published: true,
            },
        )
        .await;
    exec(
        &app.pool,
        "UPDATE products SET sku = $2, name = $3 WHERE id = $1",
        &[json!(id), json!(sku), json!(name)],
    )
    .await;
    id
}

/// An order of `lines` (product, sku, name, unit price, quantity) placed at `at`.
async fn order(
    app: &TestApp,
    client: Uuid,
    shop: Uuid,
    status: &str,
    currency: &str,
    at: &str,
    lines: &[(Uuid, &str, &str, i64, i64)],
) -> Uuid {
    let id = Uuid::now_v7();
    let total: i64 = lines.iter().map(|l| l.3 * l.4).sum();
    exec(
        &app.pool,
        "INSERT INTO orders (id, client_id, shop_id, status, currency, subtotal_amount, total_amount, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7::timestamptz)",
        &[json!(id), json!(client), json!(shop), json!(status), json!(currency), json!(total), json!(at)],
    )
    .await;
    for (product, sku, name, price, quantity) in lines {
        exec(
            &app.pool,
            "INSERT INTO order_lines (id, order_id, product_id, sku, name, unit_price_amount, quantity, line_total_amount) \
             VALUES ($1, $2, $3, $4, $5, $6, $7::int, $6 * $7)",
            &[json!(Uuid::now_v7()), json!(id), json!(product), json!(sku), json!(name), json!(price), json!(quantity)],
        )
        .await;
    }
    id
}

/// A payment of `order`: (provider, reference, status), (amount, currency), time.
async fn payment(
    app: &TestApp,
    order: Uuid,
    (provider, reference, status): (&str, &str, &str),
    (amount, currency): (i64, &str),
    at: &str,
) {
    exec(
        &app.pool,
        "INSERT INTO payments (id, order_id, provider, provider_ref, status, amount, currency, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::timestamptz)",
        &[json!(Uuid::now_v7()), json!(order), json!(provider), json!(reference), json!(status), json!(amount), json!(currency), json!(at)],
    )
    .await;
}

pub async fn market(app: &TestApp) -> Market {
    let (_, admin) = app.user_with_role(Role::Superadmin).await;
    let a = app.shop().await;
    let b = app.shop().await;
    exec(
        &app.pool,
        "UPDATE shops SET name = 'Dar Salam' WHERE id = $1",
        &[json!(b.id)],
    )
    .await;
    let seller_email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(a.owner_id)
        .fetch_one(&app.pool)
        .await
        .expect("seller email");
    let (client, _) = app.user_with_role(Role::Client).await;
    exec(
        &app.pool,
        "UPDATE users SET name = $2 WHERE id = $1",
        &[json!(client), json!(CLIENT_NAME)],
    )
    .await;
    let wax = product(app, a.id, "WAX-1", "Pagne wax", 1999, "EUR", 3).await;
    let formula = product(app, a.id, "F-1", FORMULA_PRODUCT, 500, "EUR", 50).await;
    let dress = product(app, b.id, "B-1", ARABIC_PRODUCT, 12500, "XOF", 10).await;
    let o1 = order(
        app,
        client,
        a.id,
        "paid",
        "EUR",
        "2026-03-05T10:00:00Z",
        &[
            (wax, "WAX-1", "Pagne wax", 1999, 2),
            (formula, "F-1", FORMULA_PRODUCT, 500, 1),
        ],
    )
    .await;
    order(
        app,
        client,
        a.id,
        "delivered",
        "EUR",
        "2026-03-05T15:00:00Z",
        &[(wax, "WAX-1", "Pagne wax", 1999, 1)],
    )
    .await;
    let o3 = order(
        app,
        client,
        a.id,
        "cancelled",
        "EUR",
        "2026-03-06T09:00:00Z",
        &[(formula, "F-1", FORMULA_PRODUCT, 500, 3)],
    )
    .await;
    let o4 = order(
        app,
        client,
        b.id,
        "paid",
        "XOF",
        "2026-03-07T12:00:00Z",
        &[(dress, "B-1", ARABIC_PRODUCT, 12500, 1)],
    )
    .await;
    order(
        app,
        client,
        a.id,
        "paid",
        "EUR",
        "2026-04-02T08:00:00Z",
        &[(wax, "WAX-1", "Pagne wax", 1999, 1)],
    )
    .await;
    payment(
        app,
        o1,
        ("stripe", "pi_1", "succeeded"),
        (4498, "EUR"),
        "2026-03-05T10:01:00Z",
    )
    .await;
    payment(
        app,
        o3,
        ("stripe", "pi_3", "failed"),
        (1500, "EUR"),
        "2026-03-06T09:01:00Z",
    )
    .await;
    payment(
        app,
        o4,
        ("cinetpay", "cp_1", "succeeded"),
        (12500, "XOF"),
        "2026-03-07T12:01:00Z",
    )
    .await;
    Market {
        admin,
        seller: a.owner_token,
        seller_email,
        shop_a: a.id,
        other_seller: b.owner_token,
        shop_b: b.id,
    }
}

/// Requests a report for March 2026 and returns its id.
pub async fn request(
    app: &TestApp,
    token: &str,
    kind: &str,
    format: &str,
    filters: Value,
) -> String {
    let response = app
        .post(
            "/v1/reports",
            Some(token),
            json!({"type": kind, "format": format, "date_from": PERIOD.0, "date_to": PERIOD.1, "filters": filters}),
        )
        .await;
    assert_eq!(response.status(), 202, "report accepted");
    let body: Value = response.json().await.expect("json");
    body["id"].as_str().expect("id").to_owned()
}

/// Waits for the report to finish (succeeded or failed) and returns its view.
pub async fn finished(app: &TestApp, token: &str, id: &str) -> Value {
    wait_until(
        &format!("report {id} to finish"),
        Duration::from_secs(60),
        || async {
            let view: Value = app
                .get(&format!("/v1/reports/{id}"), Some(token))
                .await
                .json()
                .await
                .ok()?;
            matches!(view["status"].as_str(), Some("succeeded" | "failed")).then_some(view)
        },
    )
    .await
}

/// The path and query of a download URL, for `TestApp::request`.
pub fn path_of(url: &str) -> String {
    let start = url.find("/v1/reports/").expect("a report URL");
    url[start..].to_owned()
}

/// Generates the report and downloads its file: (content type, content disposition, bytes).
pub async fn generate(
    app: &TestApp,
    token: &str,
    kind: &str,
    format: &str,
    filters: Value,
) -> (String, String, Vec<u8>) {
    let id = request(app, token, kind, format, filters).await;
    let view = finished(app, token, &id).await;
    assert_eq!(view["status"], "succeeded", "{view}");
    let url = view["download_url"].as_str().expect("download_url");
    let response = app.get(&path_of(url), None).await;
    assert_eq!(response.status(), 200);
    let header = |name: &str| response.headers()[name].to_str().expect("ascii").to_owned();
    let (content_type, disposition) = (header("content-type"), header("content-disposition"));
    let bytes = response.bytes().await.expect("body").to_vec();
    (content_type, disposition, bytes)
}
