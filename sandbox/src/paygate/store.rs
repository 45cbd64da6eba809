//! PayGate's payment requests in memory, their statuses and their JSON.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::actions::Action;
use crate::ids;

/// Payment statuses.
const SUCCESS: u8 = 0;
const IN_PROGRESS: u8 = 2;
const EXPIRED: u8 = 4;
const CANCELLED: u8 = 6;
/// References look like PayGate's (seven digits and up).
const FIRST_REFERENCE: i64 = 4_671_135;

pub struct Tx {
    pub tx_reference: i64,
    pub identifier: String,
    pub amount: i64,
    pub description: String,
    /// With the 228 prefix and without `+`, as PayGate answers it.
    pub phone_number: String,
    /// `T-Money` or `Flooz`, PayGate's spelling in answers.
    pub payment_method: &'static str,
    status: u8,
    datetime: DateTime<Utc>,
    payment_reference: Option<String>,
}

/// A request as `/api/v1/pay` registers it.
pub struct NewTx {
    pub identifier: String,
    pub amount: i64,
    pub description: String,
    pub phone_number: String,
    pub payment_method: &'static str,
}

#[derive(Default)]
pub struct Store {
    by_reference: HashMap<i64, Tx>,
    /// identifier → tx_reference.
    references: HashMap<String, i64>,
}

impl Store {
    /// The new request's tx_reference, or `None` when its identifier was already used.
    pub fn insert(&mut self, new: NewTx) -> Option<i64> {
        if self.references.contains_key(&new.identifier) {
            return None;
        }
        let tx_reference = FIRST_REFERENCE + self.by_reference.len() as i64;
        self.references.insert(new.identifier.clone(), tx_reference);
        let tx = Tx {
            tx_reference,
            identifier: new.identifier,
            amount: new.amount,
            description: new.description,
            phone_number: new.phone_number,
            payment_method: new.payment_method,
            status: IN_PROGRESS,
            datetime: Utc::now(),
            payment_reference: None,
        };
        self.by_reference.insert(tx_reference, tx);
        Some(tx_reference)
    }

    pub fn get(&self, tx_reference: i64) -> Option<&Tx> {
        self.by_reference.get(&tx_reference)
    }

    pub fn get_mut(&mut self, tx_reference: i64) -> Option<&mut Tx> {
        self.by_reference.get_mut(&tx_reference)
    }

    pub fn by_identifier(&self, identifier: &str) -> Option<&Tx> {
        self.get(*self.references.get(identifier)?)
    }
}

impl Tx {
    pub fn is_open(&self) -> bool {
        self.status == IN_PROGRESS
    }

    /// The customer's answer: approve, let it lapse, or refuse.
    pub fn settle(&mut self, action: Action) {
        self.datetime = Utc::now();
        self.status = match action {
            Action::Pay => SUCCESS,
            Action::Fail => EXPIRED,
            Action::Cancel => CANCELLED,
        };
        if action == Action::Pay {
            self.payment_reference = Some(ids::digits(11));
        }
    }

    pub fn status_name(&self) -> &'static str {
        match self.status {
            SUCCESS => "success (0)",
            IN_PROGRESS => "in progress (2)",
            EXPIRED => "expired (4)",
            _ => "cancelled (6)",
        }
    }

    fn datetime(&self) -> String {
        self.datetime.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }

    /// The answer of `/api/v1/status` and `/api/v2/status`; `payment_reference` stays null
    /// until the payment succeeds.
    pub fn json(&self) -> Value {
        let mut body = self.callback_json();
        body["status"] = json!(self.status);
        body
    }

    /// The callback's fields: the status answer without `status`.
    pub fn callback_json(&self) -> Value {
        json!({
            "tx_reference": self.tx_reference, "identifier": self.identifier,
            "amount": self.amount, "payment_reference": self.payment_reference,
            "payment_method": self.payment_method, "datetime": self.datetime(),
            "phone_number": self.phone_number,
        })
    }
}
