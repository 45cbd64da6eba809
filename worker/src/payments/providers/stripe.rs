//! Stripe: Checkout Sessions (created with an `Idempotency-Key`), PaymentIntents for re-query,
//! refunds; and what a verified event object says about a payment.

use reqwest::{Client, StatusCode};
use serde_json::Value;

use comptoir_domain::config::StripeSettings;
use comptoir_domain::payments::PaymentStatus;
use comptoir_domain::payments::settle::Observation;

use super::{ProviderError, ProviderResult, http_client, send, transient};

/// Stripe's bounds on a session's `expires_at`: 30 minutes to 24 hours.
const SESSION_MIN_MINS: u64 = 30;
const SESSION_MAX_MINS: u64 = 24 * 60;

#[derive(Clone)]
pub struct Stripe {
    http: Client,
    settings: StripeSettings,
}

/// A session to create for one payment.
pub struct NewSession<'a> {
    pub payment_id: &'a str,
    pub order_id: &'a str,
    pub name: &'a str,
    pub currency: &'a str,
    pub amount: i64,
    pub customer_email: Option<&'a str>,
    pub success_url: &'a str,
    pub cancel_url: &'a str,
}

pub struct CreatedSession {
    pub id: String,
    pub url: Option<String>,
    pub payment_intent: Option<String>,
}

impl Stripe {
    pub fn new(settings: &StripeSettings) -> anyhow::Result<Self> {
        Ok(Self {
            http: http_client(settings.request_timeout_secs)?,
            settings: settings.clone(),
        })
    }

    fn post(
        &self,
        path: &str,
        idempotency_key: &str,
        form: &[(String, String)],
    ) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}{path}", self.settings.api_base))
            .basic_auth(self.settings.secret_key.expose(), Some(""))
            .header("Idempotency-Key", idempotency_key)
            .form(form)
    }

    async fn get(&self, path: &str) -> ProviderResult<Value> {
        let request = self
            .http
            .get(format!("{}{path}", self.settings.api_base))
            .basic_auth(self.settings.secret_key.expose(), Some(""));
        answer(send(request).await?)
    }

    /// Creates the payment's Checkout Session. The payment id is the idempotency key: a retry
    /// after a lost answer gets the same session back, never a second one.
    pub async fn create_session(&self, new: &NewSession<'_>) -> ProviderResult<CreatedSession> {
        let lifetime = self
            .settings
            .expire_after_mins
            .clamp(SESSION_MIN_MINS, SESSION_MAX_MINS);
        let expires_at = chrono::Utc::now().timestamp() + i64::try_from(lifetime * 60).unwrap_or(0);
        let mut form: Vec<(String, String)> = [
            ("mode", "payment".to_owned()),
            (
                "line_items[0][price_data][currency]",
                new.currency.to_ascii_lowercase(),
            ),
            (
                "line_items[0][price_data][unit_amount]",
                new.amount.to_string(),
            ),
            (
                "line_items[0][price_data][product_data][name]",
                new.name.to_owned(),
            ),
            ("line_items[0][quantity]", "1".to_owned()),
            ("success_url", new.success_url.to_owned()),
            ("cancel_url", new.cancel_url.to_owned()),
            ("client_reference_id", new.payment_id.to_owned()),
            ("metadata[payment_id]", new.payment_id.to_owned()),
            ("metadata[order_id]", new.order_id.to_owned()),
            (
                "payment_intent_data[metadata][payment_id]",
                new.payment_id.to_owned(),
            ),
            (
                "payment_intent_data[metadata][order_id]",
                new.order_id.to_owned(),
            ),
            ("expires_at", expires_at.to_string()),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect();
        if let Some(email) = new.customer_email {
            form.push(("customer_email".to_owned(), email.to_owned()));
        }
        let session =
            answer(send(self.post("/v1/checkout/sessions", new.payment_id, &form)).await?)?;
        Ok(CreatedSession {
            id: field(&session, "id")?,
            url: session["url"].as_str().map(str::to_owned),
            payment_intent: session["payment_intent"].as_str().map(str::to_owned),
        })
    }

    /// The payment's current state, from its PaymentIntent (`pi_…`), or from its session
    /// (`cs_…`) while the session has no PaymentIntent yet.
    pub async fn requery(&self, provider_ref: &str) -> ProviderResult<Observation> {
        let intent = if provider_ref.starts_with("cs_") {
            let session = self
                .get(&format!("/v1/checkout/sessions/{provider_ref}"))
                .await?;
            match session["payment_intent"].as_str() {
                Some(intent) => intent.to_owned(),
                None => {
                    return Ok(observe("checkout.session.completed", &session)
                        .unwrap_or_else(|| Observation::status(PaymentStatus::Pending)));
                }
            }
        } else {
            provider_ref.to_owned()
        };
        let intent = self.get(&format!("/v1/payment_intents/{intent}")).await?;
        Ok(observe_intent(&intent))
    }

    /// Refunds `amount` of the PaymentIntent; the refund id is the idempotency key. Returns
    /// Stripe's refund id.
    pub async fn refund(
        &self,
        refund_id: &str,
        payment_intent: &str,
        amount: i64,
        duplicate: bool,
    ) -> ProviderResult<String> {
        let mut form = vec![
            ("payment_intent".to_owned(), payment_intent.to_owned()),
            ("amount".to_owned(), amount.to_string()),
            ("metadata[refund_id]".to_owned(), refund_id.to_owned()),
        ];
        if duplicate {
            form.push(("reason".to_owned(), "duplicate".to_owned()));
        }
        let refund = answer(send(self.post("/v1/refunds", refund_id, &form)).await?)?;
        field(&refund, "id")
    }
}

/// Stripe's answer: the object, or its error. 4xx validation errors are final; a rejected key
/// (401/403) or a request racing its twin (409) are for a retry.
fn answer((status, body): (StatusCode, Value)) -> ProviderResult<Value> {
    if status.is_success() {
        return Ok(body);
    }
    let message = body["error"]["message"]
        .as_str()
        .unwrap_or("no message")
        .to_owned();
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::CONFLICT => Err(transient(
            anyhow::anyhow!("Stripe answered {status}: {message}"),
        )),
        _ => Err(ProviderError::Refused(message)),
    }
}

fn field(object: &Value, name: &str) -> ProviderResult<String> {
    object[name]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| transient(anyhow::anyhow!("Stripe's answer has no `{name}`")))
}

fn intent_ref(object: &Value, key: &str) -> Option<String> {
    object[key].as_str().map(str::to_owned)
}

/// A PaymentIntent's state. Only `succeeded` and `canceled` are final; a failed attempt sends
/// it back to `requires_payment_method` and the customer may retry, so it stays pending.
pub fn observe_intent(intent: &Value) -> Observation {
    let status = match intent["status"].as_str() {
        Some("succeeded") => PaymentStatus::Succeeded,
        Some("canceled") => PaymentStatus::Cancelled,
        _ => PaymentStatus::Pending,
    };
    Observation {
        status,
        amount: (status == PaymentStatus::Succeeded)
            .then(|| intent["amount_received"].as_i64())
            .flatten(),
        currency: intent_ref(intent, "currency"),
        provider_ref: intent_ref(intent, "id"),
        refunded_total: None,
        reason: intent["last_payment_error"]["message"]
            .as_str()
            .map(str::to_owned),
    }
}

/// What a verified event's object says about its payment; `None` for event types that say
/// nothing about one (they are stored and acknowledged all the same).
pub fn observe(event_type: &str, object: &Value) -> Option<Observation> {
    let status = |status| Some(Observation::status(status));
    match event_type {
        "payment_intent.succeeded"
        | "payment_intent.canceled"
        | "payment_intent.payment_failed" => Some(observe_intent(object)),
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
            if object["payment_status"].as_str() != Some("paid") {
                return status(PaymentStatus::Pending);
            }
            Some(Observation {
                status: PaymentStatus::Succeeded,
                amount: object["amount_total"].as_i64(),
                currency: intent_ref(object, "currency"),
                provider_ref: intent_ref(object, "payment_intent"),
                refunded_total: None,
                reason: None,
            })
        }
        "checkout.session.async_payment_failed" => status(PaymentStatus::Failed),
        // The session ended unpaid: the customer left (the sandbox's Cancel) or it lapsed. Its
        // PaymentIntent is cancelled with it, so both events settle the same way in any order.
        "checkout.session.expired" => status(PaymentStatus::Cancelled),
        "charge.refunded" => Some(Observation {
            refunded_total: object["amount_refunded"].as_i64(),
            provider_ref: intent_ref(object, "payment_intent"),
            ..Observation::status(PaymentStatus::Succeeded)
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_failed_attempt_leaves_the_payment_pending_with_its_reason() {
        let seen = observe(
            "payment_intent.payment_failed",
            &json!({"id": "pi_1", "status": "requires_payment_method", "currency": "eur",
                    "last_payment_error": {"message": "Your card was declined."}}),
        )
        .expect("observed");
        assert_eq!(seen.status, PaymentStatus::Pending);
        assert_eq!(seen.reason.as_deref(), Some("Your card was declined."));
    }

    #[test]
    fn a_success_carries_the_amount_received() {
        let seen = observe(
            "payment_intent.succeeded",
            &json!({"id": "pi_1", "status": "succeeded", "amount": 5000, "amount_received": 5000,
                    "currency": "xof"}),
        )
        .expect("observed");
        assert_eq!(
            (seen.status, seen.amount, seen.currency.as_deref()),
            (PaymentStatus::Succeeded, Some(5000), Some("xof"))
        );
        let unpaid = observe(
            "checkout.session.completed",
            &json!({"payment_status": "unpaid", "amount_total": 5000}),
        )
        .expect("observed");
        assert_eq!(unpaid.status, PaymentStatus::Pending);
    }

    #[test]
    fn unrelated_events_say_nothing() {
        assert!(observe("customer.created", &json!({})).is_none());
    }
}
