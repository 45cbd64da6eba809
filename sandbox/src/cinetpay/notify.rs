//! CinetPay's notification (IPN): a GET ping, then the form of `cpm_*` fields POSTed to the
//! payment's `notify_url`, with the `x-token` HMAC over the fields in the documented order.

use super::store::{PAYMENT_METHOD, PHONE_NUMBER, PHONE_PREFIX, Status, Transaction, format_date};
use crate::callbacks::{Body, Callback};
use crate::ids;
use crate::signing::hmac_sha256_hex;

/// The notification's fields, in the order the `x-token` concatenates them. Every field is
/// sent, empty when unknown, so that a client always hashes 16 values.
pub fn fields(tx: &Transaction, site_id: &str) -> Vec<(&'static str, String)> {
    let error_message = match tx.status {
        Status::Accepted => "SUCCES",
        Status::Refused(reason) => reason,
        Status::Waiting => "WAITING_CUSTOMER_PAYMENT",
    };
    vec![
        ("cpm_site_id", site_id.to_owned()),
        ("cpm_trans_id", tx.transaction_id.clone()),
        (
            "cpm_trans_date",
            tx.settled_at.map(format_date).unwrap_or_default(),
        ),
        ("cpm_amount", tx.amount.to_string()),
        ("cpm_currency", tx.currency.clone()),
        ("signature", ids::hex(32)),
        ("payment_method", PAYMENT_METHOD.into()),
        ("cel_phone_num", PHONE_NUMBER.into()),
        ("cpm_phone_prefixe", PHONE_PREFIX.into()),
        ("cpm_language", tx.lang.clone()),
        ("cpm_version", "V4".into()),
        ("cpm_payment_config", "Single".into()),
        ("cpm_page_action", "Payment".into()),
        ("cpm_custom", tx.metadata.clone().unwrap_or_default()),
        ("cpm_designation", tx.description.clone()),
        ("cpm_error_message", error_message.into()),
    ]
}

/// HMAC-SHA256 (key: the merchant's Secret Key) of the values concatenated without separator.
pub fn x_token(secret_key: &str, fields: &[(&str, String)]) -> String {
    let data: String = fields.iter().map(|(_, v)| v.as_str()).collect();
    hmac_sha256_hex(secret_key.as_bytes(), data.as_bytes())
}

/// The ping and the signed form, in that order.
pub fn callbacks(tx: &Transaction, site_id: &str, secret_key: &str) -> Vec<Callback> {
    let fields = fields(tx, site_id);
    let token = x_token(secret_key, &fields);
    let label = format!("cinetpay {} {}", tx.transaction_id, tx.status_name());
    let form = serde_urlencoded::to_string(&fields).unwrap_or_default();
    vec![
        Callback {
            label: format!("{label} ping"),
            url: tx.notify_url.clone(),
            body: None,
            headers: Vec::new(),
            stripe_secret: None,
        },
        Callback {
            label,
            url: tx.notify_url.clone(),
            body: Some(Body {
                content_type: "application/x-www-form-urlencoded",
                bytes: form.into_bytes(),
            }),
            headers: vec![("x-token", token)],
            stripe_secret: None,
        },
    ]
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    /// The test vector of PROVIDERS.md §2.2, through the same field builder the sandbox uses.
    #[test]
    fn signs_the_documented_vector() {
        let tx = Transaction {
            token: "token".into(),
            transaction_id: "ORD-1".into(),
            amount: 5000,
            currency: "XOF".into(),
            description: "Commande ORD-1".into(),
            notify_url: "http://127.0.0.1/notify".into(),
            return_url: "http://127.0.0.1/return".into(),
            metadata: None,
            lang: "fr".into(),
            status: Status::Accepted,
            settled_at: chrono::Utc
                .with_ymd_and_hms(2024, 1, 15, 10, 30, 0)
                .single(),
            operator_id: None,
        };
        let mut fields = fields(&tx, "123456");
        assert_eq!(fields[5].0, "signature");
        fields[5].1 = "abc".into();
        let names: Vec<&str> = fields.iter().map(|(name, _)| *name).collect();
        assert_eq!(
            names,
            [
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
            ]
        );
        assert_eq!(
            x_token("cinetpay_secret_test", &fields),
            "e25c73dbbb79dcc5939628b291f06de3acedef2364cdf09a82b6372c245a508b"
        );
    }
}
