//! Verifying what payment providers send, on the raw request bytes, before anything is parsed
//! or stored. Each provider signs its own way (`PROVIDERS.md`); a failed check is
//! `invalid_signature` and nothing is stored.

pub mod cinetpay;
pub mod stripe;
pub mod twilio;

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why a webhook's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is missing or malformed")]
    Malformed,
    #[error("the signature is older than the tolerance")]
    Stale,
    #[error("no signature matches")]
    Mismatch,
}

/// Whether `hex_mac` (hex, either case) is HMAC-SHA256(`secret`, `message`), compared in
/// constant time.
fn hmac_sha256_matches(secret: &[u8], message: &[&[u8]], hex_mac: &str) -> bool {
    let Ok(expected) = hex::decode(hex_mac) else {
        return false;
    };
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    for part in message {
        mac.update(part);
    }
    mac.verify_slice(&expected).is_ok()
}
