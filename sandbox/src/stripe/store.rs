//! Stripe's objects (Checkout Session, PaymentIntent, Charge, Refund) in memory, their JSON and
//! their state changes. Each change returns the events Stripe would emit, in Stripe's order.

use std::collections::{BTreeMap, HashMap};

use actix_web::http::StatusCode;
use serde_json::{Value, json};

use super::error::StripeError;
use super::requests::{NewRefund, NewSession};
use crate::actions::{ActError, Action, Provider};
use crate::ids;

/// An event to emit: its type and its `data.object`.
pub type Emitted = (&'static str, Value);

#[derive(Clone, Copy, PartialEq, Eq)]
enum SessionStatus {
    Open,
    Complete,
    Expired,
}

pub struct Session {
    pub id: String,
    created: i64,
    pub new: NewSession,
    pub payment_intent: String,
    url: String,
    status: SessionStatus,
}

struct PaymentIntent {
    id: String,
    created: i64,
    amount: i64,
    currency: String,
    metadata: BTreeMap<String, String>,
    client_secret: String,
    status: &'static str,
    latest_charge: Option<String>,
    last_payment_error: Option<Value>,
    canceled_at: Option<i64>,
}

struct Charge {
    id: String,
    created: i64,
    amount: i64,
    currency: String,
    payment_intent: String,
    metadata: BTreeMap<String, String>,
    amount_refunded: i64,
}

/// A replayable response: kept for an idempotency key once the request took effect.
pub struct Replay {
    pub fingerprint: String,
    pub body: Value,
}

#[derive(Default)]
pub struct Store {
    sessions: HashMap<String, Session>,
    intents: HashMap<String, PaymentIntent>,
    charges: HashMap<String, Charge>,
    pub replays: HashMap<String, Replay>,
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Session {
    pub fn is_open(&self) -> bool {
        self.status == SessionStatus::Open
    }

    pub fn status(&self) -> &'static str {
        match self.status {
            SessionStatus::Open => "open",
            SessionStatus::Complete => "complete",
            SessionStatus::Expired => "expired",
        }
    }

    pub fn json(&self) -> Value {
        let new = &self.new;
        json!({
            "id": self.id, "object": "checkout.session", "mode": "payment",
            "amount_subtotal": new.amount_total, "amount_total": new.amount_total,
            "currency": new.currency, "client_reference_id": new.client_reference_id,
            "created": self.created, "expires_at": new.expires_at, "livemode": false,
            "metadata": new.metadata, "payment_intent": self.payment_intent,
            "payment_status": if self.status == SessionStatus::Complete { "paid" } else { "unpaid" },
            "status": self.status(),
            "success_url": new.success_url, "cancel_url": new.cancel_url,
            // Stripe clears the URL once the session is over.
            "url": if self.is_open() { Some(&self.url) } else { None },
        })
    }
}

impl PaymentIntent {
    fn json(&self) -> Value {
        let received = if self.status == "succeeded" {
            self.amount
        } else {
            0
        };
        json!({
            "id": self.id, "object": "payment_intent", "amount": self.amount,
            "amount_capturable": 0, "amount_received": received, "currency": self.currency,
            "client_secret": self.client_secret, "created": self.created, "livemode": false,
            "metadata": self.metadata, "status": self.status,
            "latest_charge": self.latest_charge, "last_payment_error": self.last_payment_error,
            "canceled_at": self.canceled_at,
            "cancellation_reason": self.canceled_at.map(|_| "abandoned"),
        })
    }
}

impl Charge {
    fn json(&self) -> Value {
        json!({
            "id": self.id, "object": "charge", "amount": self.amount,
            "amount_captured": self.amount, "amount_refunded": self.amount_refunded,
            "created": self.created, "currency": self.currency, "livemode": false,
            "metadata": self.metadata, "paid": true, "payment_intent": self.payment_intent,
            "refunded": self.amount_refunded == self.amount, "status": "succeeded",
        })
    }
}

impl Store {
    pub fn create_session(&mut self, new: NewSession, public_url: &str) -> Value {
        let id = ids::alphanumeric("cs_test_", 58);
        let intent_id = ids::alphanumeric("pi_", 24);
        let intent = PaymentIntent {
            client_secret: ids::alphanumeric(&format!("{intent_id}_secret_"), 25),
            id: intent_id.clone(),
            created: now(),
            amount: new.amount_total,
            currency: new.currency.clone(),
            metadata: new.intent_metadata.clone(),
            status: "requires_payment_method",
            latest_charge: None,
            last_payment_error: None,
            canceled_at: None,
        };
        self.intents.insert(intent_id.clone(), intent);
        let session = Session {
            url: format!("{public_url}{}", Provider::Stripe.page_path(&id)),
            id: id.clone(),
            created: now(),
            new,
            payment_intent: intent_id,
            status: SessionStatus::Open,
        };
        let body = session.json();
        self.sessions.insert(id, session);
        body
    }

    pub fn session(&self, id: &str) -> Option<&Session> {
        self.sessions.get(id)
    }

    pub fn intent_json(&self, id: &str) -> Option<Value> {
        self.intents.get(id).map(PaymentIntent::json)
    }

    pub fn charge_json(&self, id: &str) -> Option<Value> {
        self.charges.get(id).map(Charge::json)
    }

    /// The customer's action on the session's page.
    pub fn act(&mut self, id: &str, action: Action) -> Result<Vec<Emitted>, ActError> {
        let session = self.sessions.get_mut(id).ok_or(ActError::NotFound)?;
        if !session.is_open() {
            return Err(ActError::Closed(session.status().into()));
        }
        let intent = self
            .intents
            .get_mut(&session.payment_intent)
            .ok_or(ActError::NotFound)?;
        Ok(match action {
            Action::Pay => {
                let charge = Charge {
                    id: ids::alphanumeric("ch_", 24),
                    created: now(),
                    amount: intent.amount,
                    currency: intent.currency.clone(),
                    payment_intent: intent.id.clone(),
                    metadata: intent.metadata.clone(),
                    amount_refunded: 0,
                };
                intent.status = "succeeded";
                intent.last_payment_error = None;
                intent.latest_charge = Some(charge.id.clone());
                self.charges.insert(charge.id.clone(), charge);
                session.status = SessionStatus::Complete;
                vec![
                    ("checkout.session.completed", session.json()),
                    ("payment_intent.succeeded", intent.json()),
                ]
            }
            // The PaymentIntent goes back to waiting for a method: the customer may retry.
            Action::Fail => {
                intent.last_payment_error = Some(json!({
                    "type": "card_error", "code": "card_declined",
                    "decline_code": "generic_decline", "message": "Your card was declined.",
                }));
                vec![("payment_intent.payment_failed", intent.json())]
            }
            Action::Cancel => {
                session.status = SessionStatus::Expired;
                intent.status = "canceled";
                intent.canceled_at = Some(now());
                vec![
                    ("checkout.session.expired", session.json()),
                    ("payment_intent.canceled", intent.json()),
                ]
            }
        })
    }

    pub fn refund(&mut self, new: NewRefund) -> Result<(Value, Vec<Emitted>), StripeError> {
        let intent = self.intents.get(&new.payment_intent).ok_or_else(|| {
            StripeError::no_such(
                "payment_intent",
                &new.payment_intent,
                StatusCode::BAD_REQUEST,
            )
            .param("payment_intent")
        })?;
        let charge = intent
            .latest_charge
            .as_ref()
            .and_then(|id| self.charges.get_mut(id))
            .ok_or_else(|| {
                StripeError::invalid(format!(
                    "This PaymentIntent ({}) does not have a successful charge to refund.",
                    intent.id
                ))
                .param("payment_intent")
            })?;
        let left = charge.amount - charge.amount_refunded;
        if left == 0 {
            return Err(StripeError::invalid(format!(
                "Charge {} has already been refunded.",
                charge.id
            ))
            .code("charge_already_refunded"));
        }
        let amount = new.amount.unwrap_or(left);
        if amount > left {
            return Err(StripeError::invalid(format!(
                "Refund amount ({amount}) is greater than unrefunded amount on charge ({left})"
            ))
            .code("amount_too_large")
            .param("amount"));
        }
        charge.amount_refunded += amount;
        let refund = json!({
            "id": ids::alphanumeric("re_", 24), "object": "refund", "amount": amount,
            "charge": charge.id, "created": now(), "currency": charge.currency,
            "metadata": new.metadata, "payment_intent": charge.payment_intent,
            "reason": new.reason, "status": "succeeded",
        });
        Ok((refund, vec![("charge.refunded", charge.json())]))
    }
}
