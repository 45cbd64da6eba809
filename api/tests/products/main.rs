//! Products: the role matrix, item limits, SKUs, publishing, soft deletion, the public
//! catalogue's filters and sorts, its cache and statement timeout, what shoppers may see, and
//! batched view counts.

mod catalogue;
mod catalogue_cache;
mod managing;

use serde_json::{Value, json};

use comptoir_domain::types::Role;
use comptoir_testkit::TestApp;

async fn body(response: reqwest::Response) -> Value {
    response.json().await.expect("json body")
}

/// A shop owned by a fresh seller: (shop id, seller token, admin token).
async fn shop(app: &TestApp, item_limit: i32) -> (String, String, String) {
    let (_, admin) = app.user_with_role(Role::Superadmin).await;
    let email = comptoir_testkit::app::unique_email("seller");
    let session = app.register(&email, "correct horse battery").await;
    let shop = json!({"name": "Chez Awa", "owner_email": email, "duration_days": 30, "item_limit": item_limit});
    let shop = body(app.post("/v1/shops", Some(&admin), shop).await).await;
    (
        shop["id"].as_str().expect("id").to_owned(),
        session["access_token"].as_str().expect("token").to_owned(),
        admin,
    )
}

fn product(shop_id: &str, sku: &str, amount: i64) -> Value {
    json!({"shop_id": shop_id, "sku": sku, "name": format!("Boubou {sku}"), "price": {"amount": amount, "currency": "XOF"}, "stock": 5})
}

async fn create(app: &TestApp, token: &str, payload: Value) -> Value {
    let response = app.post("/v1/products", Some(token), payload).await;
    assert_eq!(response.status(), 201);
    body(response).await
}
