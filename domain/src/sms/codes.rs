//! Drawing a one-time code and the only form in which it is kept: HMAC-SHA256(pepper,
//! phone|purpose|code), compared in constant time.

use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;

use super::OtpPurpose;

/// Six decimal digits from the thread's CSPRNG (ChaCha, seeded from the OS).
pub fn draw() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

fn mac(pepper: &str, phone: &str, purpose: OtpPurpose, code: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(pepper.as_bytes()).expect("any key length");
    mac.update(format!("{phone}|{}|{code}", purpose.as_str()).as_bytes());
    mac
}

/// What is stored for `code`.
pub fn digest(pepper: &str, phone: &str, purpose: OtpPurpose, code: &str) -> Vec<u8> {
    mac(pepper, phone, purpose, code)
        .finalize()
        .into_bytes()
        .to_vec()
}

/// Whether `code` is the one whose digest is `stored`, in constant time.
pub fn matches(pepper: &str, phone: &str, purpose: OtpPurpose, code: &str, stored: &[u8]) -> bool {
    mac(pepper, phone, purpose, code)
        .verify_slice(stored)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_match_only_their_phone_and_purpose() {
        let code = draw();
        assert_eq!(code.len(), 6);
        assert!(code.chars().all(|c| c.is_ascii_digit()));
        let stored = digest("pepper", "+22890000000", OtpPurpose::Login, &code);
        assert!(matches(
            "pepper",
            "+22890000000",
            OtpPurpose::Login,
            &code,
            &stored
        ));
        assert!(!matches(
            "pepper",
            "+22890000001",
            OtpPurpose::Login,
            &code,
            &stored
        ));
        assert!(!matches(
            "pepper",
            "+22890000000",
            OtpPurpose::Registration,
            &code,
            &stored
        ));
        assert!(!matches(
            "other",
            "+22890000000",
            OtpPurpose::Login,
            &code,
            &stored
        ));
    }
}
