//! Money: integer minor units and an ISO 4217 code. Never floats.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Money {
    /// Minor units (XOF has none: 12500 is 12 500 F CFA; EUR has cents).
    #[schema(example = 12500)]
    pub amount: i64,
    #[schema(example = "XOF")]
    pub currency: String,
}

impl Money {
    pub fn new(amount: i64, currency: &str) -> Self {
        Self {
            amount,
            currency: currency.to_owned(),
        }
    }

    /// A price: positive amount, currency of three capital letters.
    pub fn validate_price(&self) -> Result<(), &'static str> {
        if self.amount <= 0 {
            return Err("amount must be > 0 (minor units)");
        }
        if self.amount > 1_000_000_000_000 {
            return Err("amount is too large");
        }
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err("currency must be an ISO 4217 code such as XOF or EUR");
        }
        Ok(())
    }
}

/// Digits after the decimal point of a currency (ISO 4217 minor unit).
pub fn minor_unit_digits(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// `12500 XOF` → "12500 XOF", `1999 EUR` → "19.99 EUR".
pub fn format_money(amount: i64, currency: &str) -> String {
    let digits = minor_unit_digits(currency);
    if digits == 0 {
        return format!("{amount} {currency}");
    }
    let scale = 10_i64.pow(digits);
    let sign = if amount < 0 { "-" } else { "" };
    let (units, minor) = (
        amount.unsigned_abs() / scale.unsigned_abs(),
        amount.unsigned_abs() % scale.unsigned_abs(),
    );
    format!(
        "{sign}{units}.{minor:0width$} {currency}",
        width = digits as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_positive_with_an_iso_code() {
        let price = |amount, currency: &str| Money {
            amount,
            currency: currency.into(),
        };
        assert!(price(12500, "XOF").validate_price().is_ok());
        for bad in [
            price(0, "XOF"),
            price(-5, "EUR"),
            price(100, "xof"),
            price(100, "EURO"),
            price(100, ""),
        ] {
            assert!(bad.validate_price().is_err(), "{bad:?}");
        }
    }
}
