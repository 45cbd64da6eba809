//! Which currencies each provider takes (`PROVIDERS.md`): the API refuses a payment in any other
//! before a job asks the provider.

/// CinetPay's currencies.
const CINETPAY: [&str; 5] = ["XOF", "XAF", "CDF", "GNF", "USD"];

/// Whether `provider` takes payments in `currency` (ISO 4217, upper case). Stripe takes every
/// currency an order can have.
pub fn accepted(provider: &str, currency: &str) -> bool {
    match provider {
        "cinetpay" => CINETPAY.contains(&currency),
        // Flooz and T-Money in Togo: CFA francs only.
        "paygate" => currency == "XOF",
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::accepted;

    #[test]
    fn mobile_money_takes_african_currencies_only() {
        assert!(accepted("cinetpay", "XAF"));
        assert!(!accepted("cinetpay", "EUR"));
        assert!(accepted("paygate", "XOF"));
        assert!(!accepted("paygate", "XAF"));
        assert!(accepted("stripe", "EUR"));
    }
}
