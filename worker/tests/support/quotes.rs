//! A market for the quote tests: a shop with a Chinese name and two products, a client with a
//! Cyrillic name, and the steps of a quote as its parties take them.

use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};
use uuid::Uuid;

use comptoir_testkit::app::unique_email;
use comptoir_testkit::mail::messages_to;
use comptoir_testkit::market::TestProduct;
use comptoir_testkit::{TestApp, test_settings, wait_until};

use super::pdf::pdf_pages_png;

pub const WAIT: Duration = Duration::from_secs(60);
pub const SHOP_NAME: &str = "Tonnellerie 橡木桶";
pub const CLIENT_NAME: &str = "Иван Петров";
pub const COMPANY: &str = "Винный Дом SARL";

pub struct Party {
    pub token: String,
    pub email: String,
}

pub struct Market {
    pub app: TestApp,
    pub shop: Uuid,
    pub seller: String,
    pub admin: String,
    pub client: Party,
    /// (id, price, stock): 12.50 EUR × 5 and 9.90 EUR × 50.
    pub products: [(Uuid, i64, i32); 2],
}

pub async fn market(overrides: &[(&str, Value)]) -> Market {
    let root = std::env::temp_dir().join(format!("comptoir-test-{}", Uuid::now_v7()));
    let mut all = vec![("storage.root", json!(root))];
    all.extend(overrides.iter().cloned());
    let app = TestApp::spawn(test_settings(&all).await).await;
    let shop = app.shop().await;
    sqlx::query("UPDATE shops SET name = $2 WHERE id = $1")
        .bind(shop.id)
        .bind(SHOP_NAME)
        .execute(&app.pool)
        .await
        .expect("shop renamed");
    let products = [(1250, 5), (990, 50)];
    let mut ids = Vec::new();
    for (price, stock) in products {
        ids.push((
            app.product(shop.id, TestProduct::new(price, stock)).await,
            price,
            stock,
        ));
    }
    let email = unique_email("buyer");
    let session = app.register(&email, "correct horse battery").await;
    sqlx::query("UPDATE users SET name = $2 WHERE email = $1")
        .bind(&email)
        .bind(CLIENT_NAME)
        .execute(&app.pool)
        .await
        .expect("client renamed");
    Market {
        shop: shop.id,
        seller: shop.owner_token,
        admin: shop.admin_token,
        client: Party {
            token: session["access_token"].as_str().expect("token").to_owned(),
            email,
        },
        products: [ids[0], ids[1]],
        app,
    }
}

impl Market {
    pub async fn request(&self, quantities: [i32; 2]) -> Value {
        let items: Vec<Value> = self
            .products
            .iter()
            .zip(quantities)
            .map(|((id, _, _), quantity)| json!({"product_id": id, "quantity": quantity}))
            .collect();
        let body = json!({"shop_id": self.shop, "items": items, "company_name": COMPANY,
                          "vat_number": "fr 40-303.265 045", "notes": "Delivery to Bordeaux"});
        let created = self
            .app
            .post("/v1/quotes", Some(&self.client.token), body)
            .await;
        assert_eq!(created.status(), 201);
        created.json().await.expect("json")
    }

    /// The seller offers `quantities` at `prices`, valid for a week.
    pub async fn offer(
        &self,
        quote: &Value,
        quantities: [i32; 2],
        prices: [i64; 2],
    ) -> reqwest::Response {
        let lines: Vec<Value> = self
            .products
            .iter()
            .zip(quantities.into_iter().zip(prices))
            .map(|((id, _, _), (quantity, price))| {
                json!({"product_id": id, "quantity": quantity, "unit_price": price})
            })
            .collect();
        let body = json!({"lines": lines, "valid_until": Utc::now() + chrono::Duration::days(7),
                          "notes": "Prix départ chais.\nPayment within 30 days."});
        self.app
            .post(&path(quote, "offer"), Some(&self.seller), body)
            .await
    }

    pub async fn quote(&self, quote: &Value, token: &str) -> reqwest::Response {
        self.app.get(&path(quote, ""), Some(token)).await
    }

    pub async fn stock(&self, index: usize) -> i32 {
        self.app.stock_and_sales(self.products[index].0).await.0
    }

    /// The subjects of the seller's notifications.
    pub async fn seller_notices(&self) -> Vec<String> {
        let listed: Value = self
            .app
            .get("/v1/notifications", Some(&self.seller))
            .await
            .json()
            .await
            .expect("json");
        listed["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|n| n["subject"].as_str().map(str::to_owned))
            .collect()
    }
}

pub fn path(quote: &Value, step: &str) -> String {
    let id = quote["id"].as_str().expect("id");
    if step.is_empty() {
        format!("/v1/quotes/{id}")
    } else {
        format!("/v1/quotes/{id}/{step}")
    }
}

/// The signed link in the client's email about `number`.
pub async fn emailed_link(email: &str, number: &str) -> String {
    let text = wait_until(&format!("the email about {number}"), WAIT, || async {
        messages_to(email)
            .into_iter()
            .find(|mail| mail.subject.contains(number))
            .map(|mail| mail.text)
    })
    .await;
    let url = text
        .split_whitespace()
        .find(|word| word.contains("/pdf?token="))
        .expect("a link");
    url.to_owned()
}

pub fn look_at(pdf: &[u8]) {
    let scratch = tempfile::tempdir().expect("tempdir");
    let dir = std::env::var_os("COMPTOIR_QUOTE_PNG_DIR")
        .map_or_else(|| scratch.path().to_owned(), Into::into);
    let pages = pdf_pages_png(pdf, &dir, "quote");
    assert_eq!(pages.len(), 1, "one page");
    assert!(std::fs::metadata(&pages[0]).expect("png").len() > 1000);
}
