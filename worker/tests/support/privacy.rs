//! A person for the personal data tests: a client whose every value is unique (so a search of
//! the whole database finds only their copies), who registered with an email and a phone, set
//! a consent from a browser, asked for a code by text, mistyped their password once, ordered
//! with a shipping address and asked for a quote.

use std::time::Duration;

use rand::Rng;
use serde_json::{Value, json};
use uuid::Uuid;

use comptoir_testkit::market::TestProduct;
use comptoir_testkit::{TestApp, wait_until};

pub const WAIT: Duration = Duration::from_secs(60);
pub const PASSWORD: &str = "correct horse battery staple";

pub struct Person {
    pub id: Uuid,
    pub token: String,
    pub email: String,
    pub phone: String,
    pub name: String,
    pub street: String,
    pub company: String,
    pub vat: String,
    pub notes: String,
    pub user_agent: String,
    pub order_id: Uuid,
    pub quote_id: Uuid,
}

impl Person {
    /// Every value of theirs that an erasure must remove.
    pub fn personal_values(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("email", &self.email),
            ("phone", &self.phone),
            ("name", &self.name),
            ("street", &self.street),
            ("company", &self.company),
            ("vat", &self.vat),
            ("notes", &self.notes),
            ("user agent", &self.user_agent),
        ]
    }
}

fn uuid_at(body: &Value, pointer: &str) -> Uuid {
    body.pointer(pointer)
        .and_then(Value::as_str)
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no id at {pointer} in {body}"))
}

/// A shop with one product (10.00 EUR, 100 in stock): (shop id, product id, seller token).
pub async fn shop_with_product(app: &TestApp) -> (Uuid, Uuid, String) {
    let shop = app.shop().await;
    let product = app.product(shop.id, TestProduct::new(1000, 100)).await;
    (shop.id, product, shop.owner_token)
}

pub async fn person(app: &TestApp, shop: Uuid, product: Uuid) -> Person {
    let tag = Uuid::now_v7().simple().to_string();
    let digits: u32 = rand::rng().random_range(10_000_000..99_999_999);
    let email = format!("zoe.{tag}@example.com");
    let phone = format!("+2217{digits}");
    let name = format!("Zoé Ndiaye-{}", &tag[24..]);
    let registered = app
        .post(
            "/v1/auth/register",
            None,
            json!({"email": email, "phone": phone, "password": PASSWORD, "name": name}),
        )
        .await;
    assert_eq!(registered.status(), 201);
    let session: Value = registered.json().await.expect("json");
    let token = session["access_token"].as_str().expect("token").to_owned();
    let user_agent = format!("ZoeBrowser/{tag}");
    let consent = app
        .client
        .put(format!("{}/v1/me/consents", app.address))
        .bearer_auth(&token)
        .header("User-Agent", &user_agent)
        .json(&json!({"marketing_email": true, "marketing_sms": true}))
        .send()
        .await
        .expect("consents");
    assert_eq!(consent.status(), 200);
    let code = json!({"phone": phone, "purpose": "login"});
    assert_eq!(
        app.post("/v1/auth/otp/send", None, code).await.status(),
        202
    );
    let wrong = json!({"email": email, "password": "not my password"});
    assert_eq!(app.post("/v1/auth/login", None, wrong).await.status(), 401);
    let street = format!("{} rue des Baobabs", &tag[26..]);
    let address = json!({"name": name, "line1": street, "city": "Dakar", "country": "SN",
                         "phone": phone});
    let order = json!({"items": [{"product_id": product, "quantity": 2}],
                       "shipping_address": address});
    let order = app.post("/v1/orders", Some(&token), order).await;
    assert_eq!(order.status(), 201);
    let order_id = uuid_at(&order.json().await.expect("json"), "/id");
    let company = format!("Ndiaye Négoce {}", &tag[20..]);
    let vat = format!(
        "SN{}",
        &tag[24..]
            .to_uppercase()
            .replace(|c: char| !c.is_ascii_alphanumeric(), "")
    );
    let notes = format!("Livrer chez Zoé, portail bleu {}", &tag[22..]);
    let quote = json!({"shop_id": shop, "items": [{"product_id": product, "quantity": 3}],
                       "company_name": company, "vat_number": format!("{vat}7"), "notes": notes});
    let quote = app.post("/v1/quotes", Some(&token), quote).await;
    assert_eq!(quote.status(), 201);
    let quote_id = uuid_at(&quote.json().await.expect("json"), "/id");
    Person {
        id: uuid_at(&session, "/user/id"),
        token,
        email,
        phone,
        name,
        street,
        company,
        vat: format!("{vat}7"),
        notes,
        user_agent,
        order_id,
        quote_id,
    }
}

/// Waits for `path` (a data export) to reach `status`; returns its view.
pub async fn export_with_status(app: &TestApp, path: &str, token: &str, status: &str) -> Value {
    wait_until(&format!("{path} to be {status}"), WAIT, || async {
        let view: Value = app.get(path, Some(token)).await.json().await.ok()?;
        (view["status"] == status).then_some(view)
    })
    .await
}
