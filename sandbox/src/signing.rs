//! HMAC-SHA256 in lowercase hex: how Stripe signs its events and CinetPay its notifications.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}
