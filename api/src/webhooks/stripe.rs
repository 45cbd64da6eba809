//! `Stripe-Signature`: `t=<unix seconds>,v1=<hex>[,v1=…][,v0=…]`, each `v1` an HMAC-SHA256 of
//! `"{t}.{raw body}"` with the endpoint's secret. Any `v1` may match (secret rotation); other
//! schemes are ignored (downgrade protection); only timestamps older than the tolerance are
//! refused, as Stripe's own libraries do.

use super::{SignatureError, hmac_sha256_matches};

/// Checks `header` against `body` at `now` (unix seconds).
pub fn verify(
    header: &str,
    body: &[u8],
    secret: &str,
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for item in header.split(',') {
        let Some((key, value)) = item.trim().split_once('=') else {
            continue;
        };
        match key {
            "t" if timestamp.is_none() => {
                timestamp = Some(
                    value
                        .parse::<i64>()
                        .map_err(|_| SignatureError::Malformed)?,
                );
            }
            "v1" => signatures.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if timestamp < now - tolerance_secs {
        return Err(SignatureError::Stale);
    }
    let prefix = format!("{timestamp}.");
    if signatures.iter().any(|signature| {
        hmac_sha256_matches(secret.as_bytes(), &[prefix.as_bytes(), body], signature)
    }) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // PROVIDERS.md § 1.1 test vector.
    const SECRET: &str = "whsec_test";
    const BODY: &[u8] = br#"{"id":"evt_test","object":"event"}"#;
    const V1: &str = "c25fec335f20601dcb662f0e7c4944646158a9324bb6ed8b7f6ab126449f507a";
    const T: i64 = 1_700_000_000;

    #[test]
    fn the_published_vector_verifies() {
        let header = format!("t={T},v1={V1}");
        assert_eq!(verify(&header, BODY, SECRET, T + 10, 300), Ok(()));
    }

    #[test]
    fn any_v1_may_match_and_other_schemes_are_ignored() {
        let header = format!("t={T}, v0={V1}, v1={}, v1={V1}", "0".repeat(64));
        assert_eq!(verify(&header, BODY, SECRET, T, 300), Ok(()));
        let only_v0 = format!("t={T},v0={V1}");
        assert_eq!(
            verify(&only_v0, BODY, SECRET, T, 300),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn old_timestamps_are_refused_future_ones_are_not() {
        let header = format!("t={T},v1={V1}");
        assert_eq!(
            verify(&header, BODY, SECRET, T + 301, 300),
            Err(SignatureError::Stale)
        );
        assert_eq!(verify(&header, BODY, SECRET, T - 3600, 300), Ok(()));
    }

    #[test]
    fn a_changed_body_a_wrong_secret_or_garbage_fail() {
        let header = format!("t={T},v1={V1}");
        let tampered = br#"{"id":"evt_test","object":"event "}"#;
        assert_eq!(
            verify(&header, tampered, SECRET, T, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(&header, BODY, "whsec_other", T, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("", BODY, SECRET, T, 300),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify("t=abc,v1=00", BODY, SECRET, T, 300),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(&format!("t={T},v1=zz"), BODY, SECRET, T, 300),
            Err(SignatureError::Mismatch)
        );
    }
}
