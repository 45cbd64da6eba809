//! The parameters of `POST /v1/checkout/sessions` and `POST /v1/refunds`, checked as Stripe
//! checks them.

use std::collections::BTreeMap;

use super::error::StripeError;
use super::params::Params;

/// Stripe's bounds on `expires_at`: 30 minutes to 24 hours ahead (a minute of slack for clocks).
const EXPIRES_MIN_SECS: i64 = 30 * 60 - 60;
const EXPIRES_MAX_SECS: i64 = 24 * 3600 + 60;
const EXPIRES_DEFAULT_SECS: i64 = 24 * 3600;

pub struct LineItem {
    pub name: String,
    pub quantity: i64,
    pub unit_amount: i64,
}

pub struct NewSession {
    pub line_items: Vec<LineItem>,
    /// Lowercase, as Stripe answers it.
    pub currency: String,
    pub amount_total: i64,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    pub client_reference_id: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// `payment_intent_data[metadata]`: the session's own metadata is not copied to the PI.
    pub intent_metadata: BTreeMap<String, String>,
    pub expires_at: i64,
}

pub struct NewRefund {
    pub payment_intent: String,
    pub amount: Option<i64>,
    pub reason: Option<String>,
    pub metadata: BTreeMap<String, String>,
}

impl NewSession {
    pub fn parse(p: &Params) -> Result<Self, StripeError> {
        p.only(&[
            "mode",
            "line_items[",
            "success_url",
            "cancel_url",
            "client_reference_id",
            "metadata[",
            "payment_intent_data[metadata][",
            "expires_at",
            // Accepted and without effect here.
            "customer_email",
            "locale",
            "payment_method_types[",
        ])?;
        match p.required("mode")? {
            "payment" => {}
            other => {
                return Err(StripeError::invalid(format!(
                    "Invalid mode: {other} (the sandbox implements mode=payment only)"
                ))
                .param("mode"));
            }
        }
        let (line_items, currency) = line_items(p)?;
        let amount_total: i64 = line_items.iter().map(|i| i.unit_amount * i.quantity).sum();
        if amount_total <= 0 {
            return Err(StripeError::invalid(
                "The Checkout Session's total amount must be positive.",
            )
            .code("amount_too_small"));
        }
        let client_reference_id = p.get("client_reference_id").map(str::to_owned);
        if client_reference_id
            .as_ref()
            .is_some_and(|id| id.len() > 200)
        {
            return Err(
                StripeError::invalid("client_reference_id can have up to 200 characters")
                    .param("client_reference_id"),
            );
        }
        let now = chrono::Utc::now().timestamp();
        let expires_at = p
            .integer("expires_at")?
            .unwrap_or(now + EXPIRES_DEFAULT_SECS);
        if !(now + EXPIRES_MIN_SECS..=now + EXPIRES_MAX_SECS).contains(&expires_at) {
            return Err(StripeError::invalid(
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from now.",
            )
            .param("expires_at"));
        }
        Ok(Self {
            line_items,
            currency,
            amount_total,
            success_url: p.url("success_url")?,
            cancel_url: p.url("cancel_url")?,
            client_reference_id,
            metadata: p.metadata("metadata")?,
            intent_metadata: p.metadata("payment_intent_data[metadata]")?,
            expires_at,
        })
    }
}

/// The items (inline `price_data` only) and their common currency.
fn line_items(p: &Params) -> Result<(Vec<LineItem>, String), StripeError> {
    let indices = p.indices("line_items")?;
    if indices.is_empty() {
        return Err(StripeError::missing("line_items"));
    }
    let mut items = Vec::new();
    let mut currency: Option<String> = None;
    for i in indices {
        let key = |rest: &str| format!("line_items[{i}]{rest}");
        p.only_under(
            &key(""),
            &[
                "[price_data][currency]",
                "[price_data][unit_amount]",
                "[price_data][product_data][name]",
                "[price_data][product_data][description]",
                "[quantity]",
            ],
        )?;
        let this = p.required(&key("[price_data][currency]"))?;
        if this.len() != 3 || !this.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(StripeError::invalid(format!("Invalid currency: {this}"))
                .param(key("[price_data][currency]")));
        }
        let this = this.to_ascii_lowercase();
        if currency.as_ref().is_some_and(|c| *c != this) {
            return Err(
                StripeError::invalid("All line items must use the same currency.")
                    .param(key("[price_data][currency]")),
            );
        }
        currency = Some(this);
        let amount_key = key("[price_data][unit_amount]");
        let unit_amount = p
            .integer(&amount_key)?
            .ok_or_else(|| StripeError::missing(&amount_key))?;
        let quantity_key = key("[quantity]");
        let quantity = p
            .integer(&quantity_key)?
            .ok_or_else(|| StripeError::missing(&quantity_key))?;
        if unit_amount < 0 {
            return Err(StripeError::invalid("Invalid non-negative integer").param(amount_key));
        }
        if quantity < 1 {
            return Err(StripeError::invalid("Invalid positive integer").param(quantity_key));
        }
        items.push(LineItem {
            name: p
                .required(&key("[price_data][product_data][name]"))?
                .to_owned(),
            quantity,
            unit_amount,
        });
    }
    Ok((items, currency.unwrap_or_default()))
}

impl NewRefund {
    pub fn parse(p: &Params) -> Result<Self, StripeError> {
        p.only(&["payment_intent", "amount", "reason", "metadata["])?;
        let amount = p.integer("amount")?;
        if amount.is_some_and(|a| a <= 0) {
            return Err(StripeError::invalid("Invalid positive integer").param("amount"));
        }
        let reason = p.get("reason").map(str::to_owned);
        if let Some(r) = &reason
            && !["duplicate", "fraudulent", "requested_by_customer"].contains(&r.as_str())
        {
            return Err(StripeError::invalid(
                "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer",
            )
            .param("reason"));
        }
        Ok(Self {
            payment_intent: p.required("payment_intent")?.to_owned(),
            amount,
            reason,
            metadata: p.metadata("metadata")?,
        })
    }
}
