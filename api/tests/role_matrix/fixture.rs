//! Tenant A (seller A's shops, products, import, report, promotions; client A's orders,
//! payment and notification), seller B with a shop of their own, another client, a banned
//! user and the two admin roles. Everything is made through the API where it can be, with
//! unique values, so that a body can be searched for tenant A's private markers.

use chrono::{Duration, Utc};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use uuid::Uuid;

use comptoir_domain::product_images;
use comptoir_domain::types::Role;
use comptoir_storage::Storage;
use comptoir_testkit::TestApp;
use comptoir_testkit::app::unique_email;
use comptoir_testkit::market::TestProduct;

pub const PASSWORD: &str = "correct horse battery";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Caller {
    Anonymous,
    ClientA,
    ClientB,
    SellerA,
    SellerB,
    Maintainer,
    Superadmin,
    /// A client banned after signing in.
    Banned,
}

pub const CALLERS: [Caller; 8] = [
    Caller::Anonymous,
    Caller::ClientA,
    Caller::ClientB,
    Caller::SellerA,
    Caller::SellerB,
    Caller::Maintainer,
    Caller::Superadmin,
    Caller::Banned,
];

impl Caller {
    pub fn is_admin(self) -> bool {
        matches!(self, Caller::Maintainer | Caller::Superadmin)
    }
    pub fn is_client(self) -> bool {
        matches!(self, Caller::ClientA | Caller::ClientB)
    }
}

/// A string that only `entitled` callers may ever read.
pub struct Marker {
    pub name: &'static str,
    pub text: String,
    pub entitled: Vec<Caller>,
}

/// Tenant A's ids, filled into the paths and bodies of the matrix.
pub struct Ids {
    pub client_a: Uuid,
    pub seller_a: Uuid,
    pub shop: Uuid,
    /// Seller A's second shop, skipped by the matrix.
    pub spare_shop: Uuid,
    pub product: Uuid,
    pub hidden_product: Uuid,
    /// Deleted by the matrix: seller A's, the maintainer's and the superadmin's.
    pub spare_products: [Uuid; 3],
    pub image: Uuid,
    pub media_key: String,
    pub import: Uuid,
    pub job: Uuid,
    pub report: Uuid,
    /// Paid by hand: it has a succeeded `manual` payment.
    pub order: Uuid,
    pub payment: Uuid,
    /// Pending, for starting a payment.
    pub pending_order: Uuid,
    /// Pending, cancelled by the matrix.
    pub spare_order: Uuid,
    pub notification: Uuid,
    pub batch: Uuid,
    /// Client A's quote from tenant A's shop, requested.
    pub quote: Uuid,
    /// Client A's personal data export.
    pub data_export: Uuid,
    /// A throwaway account, erased by the matrix.
    pub erasable_user: Uuid,
}

pub struct Fixture {
    tokens: Vec<(Caller, String)>,
    pub ids: Ids,
    pub markers: Vec<Marker>,
    /// A throwaway account: logged in with, given a shop by the matrix.
    pub spare_email: String,
}

impl Fixture {
    pub fn token(&self, caller: Caller) -> Option<&str> {
        self.tokens
            .iter()
            .find(|(c, _)| *c == caller)
            .map(|(_, token)| token.as_str())
    }
}

fn uuid_at(value: &Value, pointer: &str) -> Uuid {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("{pointer} in {value}"))
}

/// The body of an answer that must have `status`.
async fn expect(response: reqwest::Response, status: u16, what: &str) -> Value {
    let got = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "{what}: {body}");
    body
}

async fn register(app: &TestApp, email: &str, phone: Option<&str>) -> Value {
    let body = json!({"email": email, "phone": phone, "password": PASSWORD, "name": "Matrix"});
    expect(app.post("/v1/auth/register", None, body).await, 201, email).await
}

fn promotion(code: &str, kind: &str, shop: Uuid) -> Value {
    let now = Utc::now();
    json!({"code": code, "kind": kind, "percent": 10, "shop_id": shop,
        "start_date": now - Duration::days(1), "end_date": now + Duration::days(30)})
}

pub fn unique_code(prefix: &str) -> String {
    format!("{prefix}-{}", &Uuid::now_v7().simple().to_string()[20..])
}

pub fn csv_upload(shop: Uuid) -> Form {
    let csv = format!(
        "sku,name,price,stock\n{},Imported,1500,3\n",
        unique_code("CSV")
    );
    Form::new().text("shop_id", shop.to_string()).part(
        "file",
        Part::bytes(csv.into_bytes()).file_name("products.csv"),
    )
}

pub async fn build(app: &TestApp) -> Fixture {
    let shop_a = app.shop().await;
    let shop_b = app.shop().await;
    let maintainer = shop_a.admin_token.clone();
    let (_, superadmin) = app.user_with_role(Role::Superadmin).await;
    let seller_a = &shop_a.owner_token;
    let me = expect(app.get("/v1/auth/me", Some(seller_a)).await, 200, "me").await;
    let seller_a_email = me["email"].as_str().expect("email").to_owned();
    let spare_shop = json!({"name": "Spare", "owner_email": seller_a_email, "duration_days": 30, "item_limit": 100});
    let spare_shop = expect(
        app.post("/v1/shops", Some(&maintainer), spare_shop).await,
        201,
        "spare shop",
    )
    .await;

    let client_a_email = unique_email("client-a");
    let client_a_phone = "+22890000017".to_owned();
    let client_a = register(app, &client_a_email, Some(&client_a_phone)).await;
    let client_a_token = client_a["access_token"].as_str().expect("token").to_owned();
    let client_b = register(app, &unique_email("client-b"), None).await;
    let banned = register(app, &unique_email("banned"), None).await;
    let ban = json!({"banned": true});
    let banned_path = format!("/v1/users/{}", uuid_at(&banned, "/user/id"));
    expect(
        app.patch(&banned_path, Some(&superadmin), ban).await,
        200,
        "ban",
    )
    .await;
    let spare_email = unique_email("spare");
    register(app, &spare_email, None).await;
    let erasable = register(app, &unique_email("erasable"), None).await;

    let product = app.product(shop_a.id, TestProduct::new(1000, 1000)).await;
    let hidden = TestProduct {
        published: false,
        ..TestProduct::new(1000, 10)
    };
    let hidden_product = app.product(shop_a.id, hidden).await;
    let mut spare_products = [Uuid::nil(); 3];
    for spare in &mut spare_products {
        *spare = app.product(shop_a.id, TestProduct::new(1000, 10)).await;
    }
    let image =
        product_images::insert_pending(&app.pool, Uuid::now_v7(), product, "uploads/images/matrix")
            .await
            .expect("an image");
    let media_key = format!("images/{}/480.webp", "ab".repeat(32));
    Storage::from_settings(&app.settings.storage)
        .expect("storage")
        .put_bytes(&media_key, b"RIFF-not-really-webp".to_vec())
        .await
        .expect("a stored variant");

    let import = app
        .upload("/v1/products/bulk", seller_a, csv_upload(shop_a.id))
        .await;
    let import = uuid_at(&expect(import, 202, "import").await, "/id");
    let job: Uuid = sqlx::query_scalar("SELECT job_id FROM imports WHERE id = $1")
        .bind(import)
        .fetch_one(&app.pool)
        .await
        .expect("the import's job");
    let report = json!({"type": "sales_summary", "format": "csv", "date_from": "2026-01-01",
        "date_to": "2026-12-31", "filters": {"shop_id": shop_a.id}});
    let report = uuid_at(
        &expect(
            app.post("/v1/reports", Some(seller_a), report).await,
            202,
            "report",
        )
        .await,
        "/id",
    );
    let coupon = unique_code("COUPON");
    let created = app
        .post(
            "/v1/promotions",
            Some(seller_a),
            promotion(&coupon, "coupon", shop_a.id),
        )
        .await;
    expect(created, 201, "coupon").await;
    let flash = promotion(&unique_code("FLASH"), "flash", shop_a.id);
    expect(
        app.post("/v1/promotions", Some(seller_a), flash).await,
        201,
        "flash sale",
    )
    .await;

    let mut orders = Vec::new();
    for _ in 0..3 {
        let order = json!({"items": [{"product_id": product, "quantity": 1}]});
        let placed = app.post("/v1/orders", Some(&client_a_token), order).await;
        orders.push(uuid_at(&expect(placed, 201, "order").await, "/id"));
    }
    let paid = app
        .patch(
            &format!("/v1/orders/{}", orders[0]),
            Some(seller_a),
            json!({"status": "paid"}),
        )
        .await;
    expect(paid, 200, "paid by hand").await;
    let payments = app
        .get(
            &format!("/v1/payments?order_id={}", orders[0]),
            Some(seller_a),
        )
        .await;
    let payment = uuid_at(&expect(payments, 200, "payments").await, "/items/0/id");
    let notification = Uuid::now_v7();
    sqlx::query("INSERT INTO notifications (id, user_id, channel, body) VALUES ($1, $2, 'in_app', 'matrix')")
        .bind(notification)
        .bind(uuid_at(&client_a, "/user/id"))
        .execute(&app.pool)
        .await
        .expect("a notification");
    let batch = json!({"user_ids": [uuid_at(&client_a, "/user/id")], "channel": "in_app", "body": "matrix"});
    let batch = uuid_at(
        &expect(
            app.post("/v1/notifications", Some(&maintainer), batch)
                .await,
            202,
            "batch",
        )
        .await,
        "/id",
    );

    let quote = json!({"shop_id": shop_a.id, "company_name": "Matrix SARL",
        "items": [{"product_id": product, "quantity": 1}]});
    let quote = app.post("/v1/quotes", Some(&client_a_token), quote).await;
    let quote = uuid_at(&expect(quote, 201, "quote").await, "/id");
    let export = app
        .post("/v1/me/data-export", Some(&client_a_token), json!({}))
        .await;
    let data_export = uuid_at(&expect(export, 202, "data export").await, "/id");

    let ids = Ids {
        client_a: uuid_at(&client_a, "/user/id"),
        seller_a: shop_a.owner_id,
        shop: shop_a.id,
        spare_shop: uuid_at(&spare_shop, "/id"),
        product,
        hidden_product,
        spare_products,
        image: image.id,
        media_key,
        import,
        job,
        report,
        order: orders[0],
        payment,
        pending_order: orders[1],
        spare_order: orders[2],
        notification,
        batch,
        quote,
        data_export,
        erasable_user: uuid_at(&erasable, "/user/id"),
    };
    let markers = markers(
        &ids,
        [client_a_email, client_a_phone, seller_a_email, coupon],
    );
    let token = |session: &Value| session["access_token"].as_str().expect("token").to_owned();
    let tokens = vec![
        (Caller::ClientA, client_a_token),
        (Caller::ClientB, token(&client_b)),
        (Caller::SellerA, shop_a.owner_token.clone()),
        (Caller::SellerB, shop_b.owner_token),
        (Caller::Maintainer, maintainer),
        (Caller::Superadmin, superadmin),
        (Caller::Banned, token(&banned)),
    ];
    Fixture {
        tokens,
        ids,
        markers,
        spare_email,
    }
}

/// Who may read what of tenant A.
fn markers(
    ids: &Ids,
    [client_email, client_phone, seller_email, coupon]: [String; 4],
) -> Vec<Marker> {
    use Caller::*;
    let parties = || vec![ClientA, SellerA, Maintainer, Superadmin];
    let client = || vec![ClientA, Maintainer, Superadmin];
    let seller = || vec![SellerA, Maintainer, Superadmin];
    let marker = |name, text: String, entitled| Marker {
        name,
        text,
        entitled,
    };
    vec![
        marker("order id", ids.order.to_string(), parties()),
        marker("pending order id", ids.pending_order.to_string(), parties()),
        marker("payment id", ids.payment.to_string(), parties()),
        marker("client A's id", ids.client_a.to_string(), parties()),
        marker("client A's email", client_email, client()),
        marker("client A's phone", client_phone, client()),
        marker("notification id", ids.notification.to_string(), client()),
        marker("data export id", ids.data_export.to_string(), client()),
        marker(
            "seller A's id (the shop's owner_id)",
            ids.seller_a.to_string(),
            seller(),
        ),
        marker("seller A's email", seller_email, seller()),
        marker("import id", ids.import.to_string(), seller()),
        marker("report id", ids.report.to_string(), seller()),
        marker("coupon code", coupon, seller()),
        marker(
            "unpublished product id",
            ids.hidden_product.to_string(),
            seller(),
        ),
        marker(
            "notification batch id",
            ids.batch.to_string(),
            vec![Maintainer, Superadmin],
        ),
    ]
}
