//! CinetPay's transactions in memory and the answer `/v2/payment/check` gives about each.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

/// What the sandbox's customer pays with: Orange Money, Côte d'Ivoire.
pub const PAYMENT_METHOD: &str = "OM";
pub const PHONE_NUMBER: &str = "0700000000";
pub const PHONE_PREFIX: &str = "225";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Waiting,
    Accepted,
    /// Refused, with the reason the notification's `cpm_error_message` gives.
    Refused(&'static str),
}

pub struct Transaction {
    pub token: String,
    pub transaction_id: String,
    pub amount: i64,
    pub currency: String,
    pub description: String,
    pub notify_url: String,
    pub return_url: String,
    /// Echoed back as `cpm_custom`.
    pub metadata: Option<String>,
    pub lang: String,
    pub status: Status,
    pub settled_at: Option<DateTime<Utc>>,
    pub operator_id: Option<String>,
}

#[derive(Default)]
pub struct Store {
    by_token: HashMap<String, Transaction>,
    /// transaction_id → payment_token.
    tokens: HashMap<String, String>,
}

/// CinetPay's date format, in notifications and checks alike.
pub fn format_date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

impl Store {
    /// Keeps `tx` unless its transaction_id was already used (CinetPay refuses reuse).
    pub fn insert(&mut self, tx: Transaction) -> bool {
        if self.tokens.contains_key(&tx.transaction_id) {
            return false;
        }
        self.tokens
            .insert(tx.transaction_id.clone(), tx.token.clone());
        self.by_token.insert(tx.token.clone(), tx);
        true
    }

    /// By payment_token or by transaction_id.
    pub fn find(&self, id: &str) -> Option<&Transaction> {
        let token = self.tokens.get(id).map_or(id, String::as_str);
        self.by_token.get(token)
    }

    pub fn find_mut(&mut self, id: &str) -> Option<&mut Transaction> {
        let token = self.tokens.get(id).map_or(id, String::as_str);
        self.by_token.get_mut(token)
    }
}

impl Transaction {
    pub fn status_name(&self) -> &'static str {
        match self.status {
            Status::Waiting => "WAITING_FOR_CUSTOMER",
            Status::Accepted => "ACCEPTED",
            Status::Refused(_) => "REFUSED",
        }
    }

    /// The body of `/v2/payment/check`: `code`, `message` and `data` (amount as a string, blank
    /// dates until paid), as CinetPay answers it.
    pub fn check_body(&self, api_response_id: String) -> Value {
        let (code, message) = match self.status {
            Status::Waiting => ("662", "WAITING_CUSTOMER_PAYMENT"),
            Status::Accepted => ("00", "SUCCES"),
            Status::Refused(_) => ("627", "TRANSACTION_CANCEL"),
        };
        let paid = self.settled_at.filter(|_| self.status == Status::Accepted);
        let payment_method = if self.status == Status::Waiting {
            ""
        } else {
            PAYMENT_METHOD
        };
        json!({
            "code": code,
            "message": message,
            "data": {
                "amount": self.amount.to_string(),
                "currency": self.currency,
                "status": self.status_name(),
                "payment_method": payment_method,
                "description": self.description,
                "metadata": self.metadata,
                "operator_id": self.operator_id,
                "payment_date": paid.map_or(" ".into(), format_date),
                "fund_availability_date": paid.map_or(" ".into(), |at| {
                    format!("{} 00:00:00", (at + Duration::days(2)).format("%Y-%m-%d"))
                }),
            },
            "api_response_id": api_response_id,
        })
    }
}
