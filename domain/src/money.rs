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

    /// A price: positive amount, an ISO 4217 currency in use.
    pub fn validate_price(&self) -> Result<(), &'static str> {
        if self.amount <= 0 {
            return Err("amount must be > 0 (minor units)");
        }
        if self.amount > 1_000_000_000_000 {
            return Err("amount is too large");
        }
        if !crate::currencies::is_currency(&self.currency) {
            return Err("currency must be an ISO 4217 code such as XOF or EUR");
        }
        Ok(())
    }
}

/// Digits of `currency`'s minor unit (ISO 4217): 0 for XOF, 2 for EUR, 3 for TND.
pub fn minor_unit_digits(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// Parses a decimal amount as people write it in spreadsheets ("19.99", "19,99", "12500")
/// into minor units of `currency`. More decimals than the currency has is an error, never a
/// silent rounding; so are signs, exponents and thousands separators.
pub fn parse_decimal(text: &str, currency: &str) -> Result<i64, String> {
    let digits = minor_unit_digits(currency) as usize;
    let text = text.trim();
    let (whole, fraction) = match text.split_once(['.', ',']) {
        Some((whole, fraction)) => (whole, fraction),
        None => (text, ""),
    };
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return Err(format!(
            "{text:?} is not a decimal amount such as 12500 or 19.99"
        ));
    }
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > digits {
        return Err(format!(
            "{currency} amounts have {digits} decimal places at most"
        ));
    }
    let scaled = format!("{whole}{fraction:0<digits$}");
    scaled
        .parse::<i64>()
        .ok()
        .filter(|amount| *amount <= 1_000_000_000_000)
        .ok_or_else(|| "amount is too large".to_owned())
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
            price(100, "ZZZ"),
            price(100, ""),
        ] {
            assert!(bad.validate_price().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn decimal_amounts_become_minor_units_without_rounding() {
        assert_eq!(parse_decimal("19.99", "EUR"), Ok(1999));
        assert_eq!(parse_decimal("19,9", "EUR"), Ok(1990));
        assert_eq!(parse_decimal("12500", "XOF"), Ok(12500));
        assert_eq!(parse_decimal("12500.00", "XOF"), Ok(12500));
        assert_eq!(parse_decimal("1.234", "TND"), Ok(1234));
        for (bad, currency) in [
            ("19.999", "EUR"),
            ("12500.5", "XOF"),
            ("-3", "EUR"),
            ("1e3", "EUR"),
            ("1 000", "XOF"),
            ("", "EUR"),
            ("12.50.1", "EUR"),
            ("99999999999999999999", "EUR"),
        ] {
            assert!(parse_decimal(bad, currency).is_err(), "{bad:?} {currency}");
        }
    }
}
