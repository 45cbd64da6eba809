//! The HMACs providers sign with: SHA-256 in lowercase hex (Stripe's events, CinetPay's
//! notifications) and SHA-1 in base64 (Twilio's `X-Twilio-Signature`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;

pub fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
    hex::encode(mac::<Hmac<Sha256>>(key, message))
}

pub fn hmac_sha1_base64(key: &[u8], message: &[u8]) -> String {
    STANDARD.encode(mac::<Hmac<Sha1>>(key, message))
}

fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <M as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}
