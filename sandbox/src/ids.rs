//! Identifiers the providers hand out: random, so that ids from separate runs never collide in
//! a merchant's database.

use rand::Rng;
use rand::distr::Alphanumeric;

/// `prefix` followed by `len` random letters and digits, the shape of Stripe's ids.
pub fn alphanumeric(prefix: &str, len: usize) -> String {
    let tail: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect();
    format!("{prefix}{tail}")
}

/// `len` random lowercase hex digits, the shape of CinetPay's tokens.
pub fn hex(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect()
}

/// `len` random decimal digits (operator references).
pub fn digits(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}
