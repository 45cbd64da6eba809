//! Marketplace fixtures: shops created through the admin API for a fresh owner, and products
//! inserted directly (the product API is not part of these tests).

use serde_json::json;
use uuid::Uuid;

use comptoir_domain::types::Role;

use crate::app::{TestApp, unique_email};

/// A shop created by an admin for a freshly registered owner (now a seller).
pub struct TestShop {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub owner_token: String,
    /// The maintainer who created it.
    pub admin_token: String,
}

/// A product to insert; `TestProduct::new(price, stock)` is a published EUR product.
pub struct TestProduct<'a> {
    pub price: i64,
    pub currency: &'a str,
    pub stock: i32,
    pub published: bool,
}

impl TestProduct<'_> {
    pub fn new(price: i64, stock: i32) -> Self {
        Self {
            price,
            currency: "EUR",
            stock,
            published: true,
        }
    }
}

impl TestApp {
    /// An active 30-day shop owned by a new seller.
    pub async fn shop(&self) -> TestShop {
        let (_, admin_token) = self.user_with_role(Role::Maintainer).await;
        let email = unique_email("seller");
        let session = self.register(&email, "correct horse battery").await;
        let created = self
            .post(
                "/v1/shops",
                Some(&admin_token),
                json!({"name": "Chez Awa", "owner_email": email, "duration_days": 30, "item_limit": 100}),
            )
            .await;
        assert_eq!(created.status(), 201, "shop created");
        let shop: serde_json::Value = created.json().await.expect("json");
        TestShop {
            id: shop["id"]
                .as_str()
                .and_then(|id| id.parse().ok())
                .expect("id"),
            owner_id: session["user"]["id"]
                .as_str()
                .and_then(|id| id.parse().ok())
                .expect("owner id"),
            owner_token: session["access_token"].as_str().expect("token").to_owned(),
            admin_token,
        }
    }

    /// Sets the shop's item limit directly (imports of many rows need room).
    pub async fn set_item_limit(&self, shop_id: Uuid, limit: usize) {
        sqlx::query("UPDATE shops SET item_limit = $2 WHERE id = $1")
            .bind(shop_id)
            .bind(i32::try_from(limit).expect("a limit that fits"))
            .execute(&self.pool)
            .await
            .expect("item limit set");
    }

    /// Inserts a product in `shop_id` and returns its id.
    pub async fn product(&self, shop_id: Uuid, product: TestProduct<'_>) -> Uuid {
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO products (id, shop_id, sku, name, price_amount, currency, stock, published) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(shop_id)
        .bind(format!("SKU-{}", id.simple()))
        .bind(format!("Product {}", &id.simple().to_string()[24..]))
        .bind(product.price)
        .bind(product.currency)
        .bind(product.stock)
        .bind(product.published)
        .execute(&self.pool)
        .await
        .expect("product inserted");
        id
    }

    /// The product's (stock, sales).
    pub async fn stock_and_sales(&self, product_id: Uuid) -> (i32, i64) {
        sqlx::query_as("SELECT stock, sales FROM products WHERE id = $1")
            .bind(product_id)
            .fetch_one(&self.pool)
            .await
            .expect("product exists")
    }

    /// `count` phone-only clients numbered from `first` (`+2289` and seven digits), written
    /// directly; their phones verified or not.
    pub async fn phone_clients(&self, first: usize, count: usize, verified: bool) {
        sqlx::query(
            "INSERT INTO users (id, phone, password_hash, name, phone_verified_at) \
             SELECT gen_random_uuid(), '+2289' || lpad(n::text, 7, '0'), 'x', 'Client ' || n, \
                    CASE WHEN $3 THEN now() END \
             FROM generate_series($1, $1 + $2 - 1) AS n",
        )
        .bind(i32::try_from(first).expect("a small number"))
        .bind(i32::try_from(count).expect("a small number"))
        .bind(verified)
        .execute(&self.pool)
        .await
        .expect("clients");
    }
}
