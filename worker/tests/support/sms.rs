//! Texting through the rig: accounts with phones, one-time codes asked for and read back from
//! the sandbox's phone inbox, and the `sms_messages` rows behind them.

use rand::Rng;
use reqwest::Response;
use serde_json::{Value, json};

use comptoir_testkit::wait_until;

use super::rig::{Rig, WAIT};

pub const PASSWORD: &str = "correct horse battery";

/// A fresh number under `prefix` (`+228` goes to Africa's Talking, `+33` to Twilio). It never
/// ends in 0000, which the sandbox's networks refuse to deliver.
pub fn phone(prefix: &str) -> String {
    let mut rng = rand::rng();
    format!(
        "{prefix}9{:06}{}",
        rng.random_range(0..1_000_000),
        rng.random_range(1..10)
    )
}

/// One row of `sms_messages`, as a test checks it.
#[derive(Debug, sqlx::FromRow)]
pub struct SmsRow {
    pub status: String,
    pub provider: Option<String>,
    pub provider_message_id: Option<String>,
    pub body: Option<String>,
}

impl Rig {
    /// Registers a client whose login is `phone`; returns the 201 body.
    pub async fn register_phone(&self, phone: &str) -> Value {
        self.register_phone_speaking(phone, None).await
    }

    /// Like [`Rig::register_phone`], with the account's language.
    pub async fn register_phone_speaking(&self, phone: &str, locale: Option<&str>) -> Value {
        let response = self
            .app
            .post(
                "/v1/auth/register",
                None,
                json!({"phone": phone, "password": PASSWORD, "name": "Kossi Mensah", "locale": locale}),
            )
            .await;
        assert_eq!(response.status(), 201, "registration of {phone}");
        response.json().await.expect("json")
    }

    pub async fn send_code(&self, phone: &str, purpose: &str) -> Response {
        self.app
            .post(
                "/v1/auth/otp/send",
                None,
                json!({"phone": phone, "purpose": purpose}),
            )
            .await
    }

    pub async fn verify_code(&self, phone: &str, purpose: &str, code: &str) -> Response {
        self.app
            .post(
                "/v1/auth/otp/verify",
                None,
                json!({"phone": phone, "purpose": purpose, "code": code}),
            )
            .await
    }

    /// Registers `phone` and proves it with the registration code texted to it (its first
    /// text); returns the access token.
    pub async fn verified_phone_client(&self, phone: &str, locale: Option<&str>) -> String {
        let session = self.register_phone_speaking(phone, locale).await;
        assert_eq!(self.send_code(phone, "registration").await.status(), 202);
        let code = self.nth_code(phone, 1).await;
        let verified = self.verify_code(phone, "registration", &code).await;
        assert_eq!(verified.status(), 200);
        session["access_token"].as_str().expect("token").to_owned()
    }

    /// The texts the sandbox's providers accepted for `phone`, oldest first.
    pub async fn texts(&self, phone: &str) -> Vec<Value> {
        self.app
            .client
            .get(format!("{}/sandbox/sms", self.sandbox))
            .query(&[("to", phone)])
            .send()
            .await
            .expect("the sandbox answers")
            .json()
            .await
            .expect("the inbox")
    }

    /// Waits for the `n`th text to `phone` (1-based) and returns it.
    pub async fn nth_text(&self, phone: &str, n: usize) -> Value {
        wait_until(&format!("text {n} to {phone}"), WAIT, || async {
            self.texts(phone).await.into_iter().nth(n - 1)
        })
        .await
    }

    /// Waits for the `n`th text to `phone` and reads the code in it.
    pub async fn nth_code(&self, phone: &str, n: usize) -> String {
        let text = self.nth_text(phone, n).await;
        code_in(text["body"].as_str().expect("a body"))
    }

    /// The messages recorded for `phone`, oldest first.
    pub async fn sms_rows(&self, phone: &str) -> Vec<SmsRow> {
        sqlx::query_as(
            "SELECT status, provider, provider_message_id, body FROM sms_messages \
             WHERE to_phone = $1 ORDER BY created_at, id",
        )
        .bind(phone)
        .fetch_all(&self.app.pool)
        .await
        .expect("sms rows")
    }

    /// Waits until every message to `phone` is in `status`.
    pub async fn wait_sms_status(&self, phone: &str, status: &str) -> Vec<SmsRow> {
        wait_until(&format!("texts to {phone} {status}"), WAIT, || async {
            let rows = self.sms_rows(phone).await;
            (!rows.is_empty() && rows.iter().all(|row| row.status == status)).then_some(rows)
        })
        .await
    }
}

/// The six-digit code in a text.
pub fn code_in(body: &str) -> String {
    body.split(|c: char| !c.is_ascii_digit())
        .find(|word| word.len() == 6)
        .unwrap_or_else(|| panic!("no code in {body:?}"))
        .to_owned()
}

/// A code other than `code`, as a wrong guess.
pub fn wrong(code: &str) -> String {
    format!(
        "{:06}",
        (code.parse::<u32>().expect("digits") + 1) % 1_000_000
    )
}
