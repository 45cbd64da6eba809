//! Signatures as the payment providers compute them, for tests and benchmarks that post to our
//! webhooks without the sandbox (duplicated, reordered or forged deliveries).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Hex HMAC-SHA256 of `message` under `secret` (Stripe's `v1`, CinetPay's `x-token`).
pub fn hmac_hex(secret: &str, message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// A `Stripe-Signature` header for `body` signed at `timestamp`.
pub fn stripe_signature(body: &str, timestamp: i64, secret: &str) -> String {
    let v1 = hmac_hex(secret, format!("{timestamp}.{body}").as_bytes());
    format!("t={timestamp},v1={v1}")
}
