//! What Twilio and Africa's Talking share: form bodies, which numbers they take, how many
//! segments a text costs, and the test-number convention that decides whether it arrives.

use std::collections::HashMap;

/// A text to a number ending in this is not delivered (Twilio `undelivered` with 30003,
/// Africa's Talking `Failed` with `DeliveryFailure`), so that tests can provoke the failure.
const UNDELIVERABLE_SUFFIX: &str = "0000";

/// GSM 03.38's basic characters (one septet each) and its extension table (two: escape + char).
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                         ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM_EXTENSION: &str = "^{}\\[~]|€\u{c}";

/// A form-urlencoded body, the last value of a repeated field winning. An unreadable body
/// reads as empty, so that the provider's "missing field" answer follows.
pub struct Form(HashMap<String, String>);

impl Form {
    pub fn parse(body: &[u8]) -> Self {
        Self(serde_urlencoded::from_bytes(body).unwrap_or_default())
    }

    /// A field as sent; a blank one counts as absent.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }
}

/// E.164: `+` then 8 to 15 digits (a `+` sent unencoded in a form arrives as a space, and is
/// refused here as the providers refuse it).
pub fn is_e164(number: &str) -> bool {
    number.strip_prefix('+').is_some_and(|digits| {
        (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
    })
}

pub fn is_deliverable(number: &str) -> bool {
    !number.ends_with(UNDELIVERABLE_SUFFIX)
}

/// Segments of `body`: 160 GSM-7 septets in one, 153 per part beyond; otherwise UCS-2, 70 in
/// one and 67 per part.
pub fn segments(body: &str) -> usize {
    let septets: Option<usize> = body
        .chars()
        .map(|c| {
            if GSM_BASIC.contains(c) {
                Some(1)
            } else if GSM_EXTENSION.contains(c) {
                Some(2)
            } else {
                None
            }
        })
        .sum();
    let (units, single, part) = match septets {
        Some(septets) => (septets, 160, 153),
        None => (body.encode_utf16().count(), 70, 67),
    };
    if units <= single {
        1
    } else {
        units.div_ceil(part)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_e164() {
        assert!(is_e164("+22890112233"));
        assert!(is_e164("+12345678"));
        assert!(!is_e164("22890112233"));
        assert!(!is_e164(" 22890112233"));
        assert!(!is_e164("+1234567"));
        assert!(!is_e164("+1234567890123456"));
        assert!(!is_e164("+2289011x233"));
    }

    #[test]
    fn counts_segments() {
        assert_eq!(
            segments("Votre code Comptoir : 123456. Il expire à 10 h."),
            1
        );
        assert_eq!(segments(&"a".repeat(160)), 1);
        assert_eq!(segments(&"a".repeat(161)), 2);
        assert_eq!(segments(&"€".repeat(80)), 1);
        assert_eq!(segments(&"€".repeat(81)), 2);
        assert_eq!(segments(&"ê".repeat(70)), 1);
        assert_eq!(segments(&"ê".repeat(71)), 2);
        assert_eq!(segments(&"ê".repeat(135)), 3);
    }
}
