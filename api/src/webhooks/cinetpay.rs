//! CinetPay's `x-token`: HMAC-SHA256, keyed with the merchant's secret key, of the notification's
//! form values concatenated without separators in a fixed order (absent fields count as empty).

use super::{SignatureError, hmac_sha256_matches};

/// The fields of the token, in the order CinetPay concatenates them (PROVIDERS.md § 2.2).
pub const TOKEN_FIELDS: [&str; 16] = [
    "cpm_site_id",
    "cpm_trans_id",
    "cpm_trans_date",
    "cpm_amount",
    "cpm_currency",
    "signature",
    "payment_method",
    "cel_phone_num",
    "cpm_phone_prefixe",
    "cpm_language",
    "cpm_version",
    "cpm_payment_config",
    "cpm_page_action",
    "cpm_custom",
    "cpm_designation",
    "cpm_error_message",
];

/// Checks `token` against the notification's form `fields` (name, value pairs as received).
pub fn verify(
    token: &str,
    fields: &[(String, String)],
    secret: &str,
) -> Result<(), SignatureError> {
    if token.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let value = |name: &str| {
        fields
            .iter()
            .find(|(field, _)| field == name)
            .map_or("", |(_, value)| value.as_str())
    };
    let parts: Vec<&[u8]> = TOKEN_FIELDS
        .iter()
        .map(|name| value(name).as_bytes())
        .collect();
    if hmac_sha256_matches(secret.as_bytes(), &parts, token) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PROVIDERS.md § 2.2 test vector.
    fn vector() -> Vec<(String, String)> {
        [
            ("cpm_site_id", "123456"),
            ("cpm_trans_id", "ORD-1"),
            ("cpm_trans_date", "2024-01-15 10:30:00"),
            ("cpm_amount", "5000"),
            ("cpm_currency", "XOF"),
            ("signature", "abc"),
            ("payment_method", "OM"),
            ("cel_phone_num", "0700000000"),
            ("cpm_phone_prefixe", "225"),
            ("cpm_language", "fr"),
            ("cpm_version", "V4"),
            ("cpm_payment_config", "Single"),
            ("cpm_page_action", "Payment"),
            ("cpm_custom", ""),
            ("cpm_designation", "Commande ORD-1"),
            ("cpm_error_message", "SUCCES"),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
    }

    const SECRET: &str = "cinetpay_secret_test";
    const TOKEN: &str = "e25c73dbbb79dcc5939628b291f06de3acedef2364cdf09a82b6372c245a508b";

    #[test]
    fn the_published_vector_verifies_in_any_field_order() {
        assert_eq!(verify(TOKEN, &vector(), SECRET), Ok(()));
        let mut shuffled = vector();
        shuffled.reverse();
        assert_eq!(verify(&TOKEN.to_uppercase(), &shuffled, SECRET), Ok(()));
    }

    #[test]
    fn an_absent_empty_field_counts_as_empty() {
        let without_custom: Vec<_> = vector()
            .into_iter()
            .filter(|(name, _)| name != "cpm_custom")
            .collect();
        assert_eq!(verify(TOKEN, &without_custom, SECRET), Ok(()));
    }

    #[test]
    fn a_changed_amount_or_secret_fails() {
        let mut changed = vector();
        changed[3].1 = "50000".to_owned();
        assert_eq!(
            verify(TOKEN, &changed, SECRET),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(TOKEN, &vector(), "other"),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("", &vector(), SECRET),
            Err(SignatureError::Malformed)
        );
    }
}
