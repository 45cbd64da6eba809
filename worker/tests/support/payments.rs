//! Payment helpers of the rig: orders to pay, payments started and read, the customer's
//! choice at the sandbox's checkout, and Stripe events signed as Stripe signs.

use chrono::Utc;
use serde_json::{Value, json};
use uuid::Uuid;

use comptoir_testkit::app::unique_email;
use comptoir_testkit::market::{TestProduct, TestShop};
use comptoir_testkit::signing::stripe_signature;
use comptoir_testkit::wait_until;

use super::rig::{Rig, STRIPE_WHSEC, WAIT};

/// A pending order of one product, placed by a fresh client.
pub struct Order {
    pub id: Uuid,
    pub product: Uuid,
    pub shop: TestShop,
    /// The client's email (their phone for a phone-only client).
    pub client_email: String,
    pub client_token: String,
}

impl Rig {
    /// A pending order for `quantity` of a product at `price` in `currency`, by a fresh client.
    pub async fn order(&self, price: i64, currency: &str, quantity: i32) -> Order {
        let client_email = unique_email("payer");
        let session = self
            .app
            .register(&client_email, "correct horse battery")
            .await;
        let client_token = session["access_token"].as_str().expect("token").to_owned();
        self.order_by(client_email, client_token, price, currency, quantity)
            .await
    }

    /// Like [`Rig::order`], placed by the client `client_login` (email or phone) holding
    /// `client_token`.
    pub async fn order_by(
        &self,
        client_login: String,
        client_token: String,
        price: i64,
        currency: &str,
        quantity: i32,
    ) -> Order {
        let shop = self.app.shop().await;
        let product = self
            .app
            .product(
                shop.id,
                TestProduct {
                    currency,
                    ..TestProduct::new(price, 10)
                },
            )
            .await;
        let placed = self
            .app
            .post(
                "/v1/orders",
                Some(&client_token),
                json!({"items": [{"product_id": product, "quantity": quantity}]}),
            )
            .await;
        assert_eq!(placed.status(), 201, "order placed");
        let placed: Value = placed.json().await.expect("order");
        Order {
            id: placed["id"]
                .as_str()
                .and_then(|id| id.parse().ok())
                .expect("id"),
            product,
            shop,
            client_email: client_login,
            client_token,
        }
    }

    /// Starts paying `order` with `provider` (PayGate with a Togolese phone); the payment id.
    pub async fn start_payment(&self, order: &Order, provider: &str) -> Uuid {
        let body = match provider {
            "paygate" => json!({"provider": provider, "phone": "+22890112233"}),
            _ => json!({"provider": provider, "return_url": "https://shop.test/back"}),
        };
        let started = self
            .app
            .post(
                &format!("/v1/orders/{}/payments", order.id),
                Some(&order.client_token),
                body,
            )
            .await;
        assert_eq!(started.status(), 202, "payment started");
        let payment: Value = started.json().await.expect("payment");
        payment["id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .expect("id")
    }

    /// The payment as its client reads it.
    pub async fn payment(&self, order: &Order, id: Uuid) -> Value {
        let read = self
            .app
            .get(&format!("/v1/payments/{id}"), Some(&order.client_token))
            .await;
        assert_eq!(read.status(), 200);
        read.json().await.expect("payment")
    }

    /// Waits until the payment is `status`, and returns it.
    pub async fn wait_for_payment(&self, order: &Order, id: Uuid, status: &str) -> Value {
        wait_until(&format!("payment {id} to be {status}"), WAIT, || async {
            let payment = self.payment(order, id).await;
            (payment["status"] == status).then_some(payment)
        })
        .await
    }

    /// Waits until the provider knows the payment, and returns the id its sandbox hooks take:
    /// the Checkout Session or payment token in the checkout URL, PayGate's tx_reference.
    pub async fn checkout_id(&self, order: &Order, id: Uuid) -> String {
        let payment = self.wait_for_payment(order, id, "pending").await;
        match payment["checkout_url"].as_str() {
            Some(url) => url.rsplit('/').next().expect("an id").to_owned(),
            None => payment["provider_ref"]
                .as_str()
                .expect("a provider reference")
                .to_owned(),
        }
    }

    /// A Stripe event signed with the rig's webhook secret, as Stripe signs, posted to the API.
    pub async fn post_stripe_event(&self, event: &Value) -> reqwest::Response {
        let body = event.to_string();
        let signature = stripe_signature(&body, Utc::now().timestamp(), STRIPE_WHSEC);
        self.app
            .client
            .post(format!("{}/v1/webhooks/stripe", self.app.address))
            .header("Stripe-Signature", signature)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .expect("the API answers")
    }

    /// The customer's choice at the sandbox's checkout (`pay`, `fail` or `cancel`); returns
    /// the sandbox's state of the payment afterwards (for Stripe: the session and its intent).
    pub async fn customer(&self, provider: &str, checkout_id: &str, action: &str) -> Value {
        let acted = self
            .app
            .client
            .post(format!(
                "{}/sandbox/{provider}/{checkout_id}/{action}",
                self.sandbox
            ))
            .send()
            .await
            .expect("the sandbox answers");
        assert!(acted.status().is_success(), "{action}: {}", acted.status());
        acted.json().await.expect("the sandbox's state")
    }

    /// The order's status.
    pub async fn order_status(&self, order: &Order) -> String {
        sqlx::query_scalar("SELECT status FROM orders WHERE id = $1")
            .bind(order.id)
            .fetch_one(&self.app.pool)
            .await
            .expect("order")
    }
}

/// A Stripe event envelope around `object`, with a fresh event id.
pub fn stripe_event(kind: &str, object: Value) -> Value {
    json!({
        "id": format!("evt_{}", Uuid::now_v7().simple()), "object": "event",
        "type": kind, "created": Utc::now().timestamp(), "livemode": false,
        "data": {"object": object},
    })
}
