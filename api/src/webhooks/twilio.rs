//! Twilio's `X-Twilio-Signature`: base64 of HMAC-SHA1, keyed with the auth token, of the
//! callback URL exactly as we gave it followed by every POST parameter sorted by name, each as
//! name then value with no separators (PROVIDERS.md § 5.3).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use super::SignatureError;

/// Checks `signature` for a callback to `url` carrying `params`.
pub fn verify(
    signature: &str,
    url: &str,
    params: &[(String, String)],
    auth_token: &str,
) -> Result<(), SignatureError> {
    let Ok(expected) = STANDARD.decode(signature.trim()) else {
        return Err(SignatureError::Malformed);
    };
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac =
        Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    mac.verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(caller: &str) -> Vec<(String, String)> {
        [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", caller),
            ("Digits", "1234"),
            ("From", caller),
            ("To", "+18005551212"),
        ]
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect()
    }

    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    #[test]
    fn twilios_published_vectors_verify() {
        assert_eq!(
            verify(
                "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
                URL,
                &params("+14158675309"),
                "12345"
            ),
            Ok(())
        );
        assert_eq!(
            verify(
                "0/KCTR6DLpKmkAf8muzZqo1nDgQ=",
                URL,
                &params("+12349013030"),
                "12345"
            ),
            Ok(())
        );
    }

    #[test]
    fn a_changed_parameter_or_token_fails() {
        let mut changed = params("+14158675309");
        changed[2].1 = "1235".into();
        assert_eq!(
            verify("RSOYDt4T1cUTdK1PDd93/VVr8B8=", URL, &changed, "12345"),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(
                "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
                URL,
                &params("+14158675309"),
                "54321"
            ),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("%%%", URL, &[], "12345"),
            Err(SignatureError::Malformed)
        );
    }
}
