//! CinetPay's JSON requests and its answer envelope `{code, message, description, data?,
//! api_response_id}` (codes are strings). Clients must read `code` whatever the HTTP status.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::settings::Settings;

const CURRENCIES: &[&str] = &["XOF", "XAF", "CDF", "GNF", "USD"];
const CHANNELS: &[&str] = &["ALL", "MOBILE_MONEY", "CREDIT_CARD", "WALLET"];
/// CinetPay's docs ask descriptions to avoid these.
const DESCRIPTION_FORBIDDEN: &[char] = &['#', '/', '$', '_', '&'];
/// Below this CinetPay answers ERROR_AMOUNT_TOO_LOW.
const MIN_AMOUNT: i64 = 100;

/// An error answer.
pub struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: &'static str,
    description: String,
}

impl Refusal {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        message: &'static str,
        description: impl Into<String>,
    ) -> Self {
        let description = description.into();
        Self {
            status,
            code,
            message,
            description,
        }
    }

    fn fields(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "608",
            "MINIMUM_REQUIRED_FIELDS",
            description,
        )
    }

    pub fn response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(json!({
            "code": self.code, "message": self.message, "description": self.description,
            "api_response_id": api_response_id(),
        }))
    }
}

/// CinetPay's request ids look like `1617808789.7749`.
pub fn api_response_id() -> String {
    let now = chrono::Utc::now();
    format!(
        "{}.{:04}",
        now.timestamp(),
        now.timestamp_subsec_micros() / 100
    )
}

/// The body as a JSON object.
pub fn object(body: &[u8]) -> Result<Map<String, Value>, Refusal> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Refusal::fields("the body must be a JSON object")),
    }
}

/// A field as text; numbers are taken too (clients send `site_id` either way).
pub fn text(body: &Map<String, Value>, key: &str) -> Option<String> {
    match body.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn required(body: &Map<String, Value>, key: &str) -> Result<String, Refusal> {
    text(body, key).ok_or_else(|| Refusal::fields(format!("{key} is required")))
}

/// Checks `apikey` and `site_id` against the merchant's.
pub fn authenticate(body: &Map<String, Value>, settings: &Settings) -> Result<(), Refusal> {
    let apikey = required(body, "apikey")?;
    let site_id = required(body, "site_id")?;
    if apikey == settings.cinetpay_api_key && site_id == settings.cinetpay_site_id {
        Ok(())
    } else {
        Err(Refusal::new(
            StatusCode::UNAUTHORIZED,
            "609",
            "AUTH_NOT_FOUND",
            "apikey or site_id is not valid",
        ))
    }
}

/// The fields of `POST /v2/payment` beyond the credentials.
pub struct Init {
    pub transaction_id: String,
    pub amount: i64,
    pub currency: String,
    pub description: String,
    pub notify_url: String,
    pub return_url: String,
    pub metadata: Option<String>,
    pub lang: String,
}

impl Init {
    pub fn parse(body: &Map<String, Value>) -> Result<Self, Refusal> {
        let amount = required(body, "amount")?;
        let amount: i64 = amount
            .parse()
            .map_err(|_| Refusal::fields(format!("amount must be an integer, got {amount}")))?;
        if amount < MIN_AMOUNT {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                "641",
                "ERROR_AMOUNT_TOO_LOW",
                format!("the amount must be at least {MIN_AMOUNT}"),
            ));
        }
        if amount % 5 != 0 {
            return Err(Refusal::fields("amount must be a multiple of 5"));
        }
        let currency = required(body, "currency")?;
        if !CURRENCIES.contains(&currency.as_str()) {
            return Err(Refusal::fields(format!(
                "currency must be one of {}",
                CURRENCIES.join(", ")
            )));
        }
        let description = required(body, "description")?;
        if description.contains(DESCRIPTION_FORBIDDEN) {
            return Err(Refusal::fields("description must not contain # / $ _ &"));
        }
        let channels = text(body, "channels").unwrap_or_else(|| "ALL".into());
        if !channels.split(',').all(|c| CHANNELS.contains(&c.trim())) {
            return Err(Refusal::fields(format!(
                "channels must be among {}",
                CHANNELS.join(", ")
            )));
        }
        let metadata = match body.get("metadata") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(Refusal::fields("metadata must be a string")),
        };
        let lang = text(body, "lang").unwrap_or_else(|| "fr".into());
        if lang != "fr" && lang != "en" {
            return Err(Refusal::fields("lang must be fr or en"));
        }
        Ok(Self {
            transaction_id: required(body, "transaction_id")?,
            amount,
            currency,
            description,
            notify_url: url(body, "notify_url")?,
            return_url: url(body, "return_url")?,
            metadata,
            lang,
        })
    }
}

fn url(body: &Map<String, Value>, key: &str) -> Result<String, Refusal> {
    let url = required(body, key)?;
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(url)
    } else {
        Err(Refusal::fields(format!("{key} must be an http(s) URL")))
    }
}
