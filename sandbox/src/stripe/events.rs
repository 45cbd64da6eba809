//! Stripe's event envelope and its `Stripe-Signature`, and the callbacks that carry them.

use serde_json::json;

use super::store::Emitted;
use crate::callbacks::{Body, Callback};
use crate::ids;
use crate::settings::Settings;
use crate::signing::hmac_sha256_hex;

/// The API version stamped on events (Stripe uses the account's default).
const API_VERSION: &str = "2024-06-20";

/// `t=<unix>,v1=<HMAC-SHA256 hex of "t.body">`, plus the unverifiable `v0=` that test-mode
/// events carry, so that clients are seen to ignore schemes other than v1.
pub fn signature_header(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut signed = format!("{timestamp}.").into_bytes();
    signed.extend_from_slice(body);
    let v1 = hmac_sha256_hex(secret.as_bytes(), &signed);
    format!("t={timestamp},v1={v1},v0={}", ids::hex(64))
}

/// One signed POST per event, to the configured webhook URL (none when it is unset).
pub fn callbacks(
    settings: &Settings,
    emitted: Vec<Emitted>,
    idempotency_key: Option<&str>,
) -> Vec<Callback> {
    let Some(url) = &settings.stripe_webhook_url else {
        for (kind, _) in &emitted {
            tracing::info!(
                event = kind,
                "no Stripe webhook URL configured: event not sent"
            );
        }
        return Vec::new();
    };
    emitted
        .into_iter()
        .map(|(kind, object)| {
            let id = ids::alphanumeric("evt_", 24);
            let event = json!({
                "id": id, "object": "event", "api_version": API_VERSION,
                "created": chrono::Utc::now().timestamp(), "livemode": false,
                "pending_webhooks": 1,
                "request": {"id": null, "idempotency_key": idempotency_key},
                "type": kind, "data": {"object": object},
            });
            Callback {
                label: format!("stripe {kind} {id}"),
                url: url.clone(),
                body: Some(Body {
                    content_type: "application/json; charset=utf-8",
                    bytes: event.to_string().into_bytes(),
                }),
                headers: Vec::new(),
                stripe_secret: Some(settings.stripe_webhook_secret.clone()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector of PROVIDERS.md §1.1.
    #[test]
    fn signs_the_documented_vector() {
        let header = signature_header(
            "whsec_test",
            1_700_000_000,
            br#"{"id":"evt_test","object":"event"}"#,
        );
        assert!(header.starts_with(
            "t=1700000000,v1=c25fec335f20601dcb662f0e7c4944646158a9324bb6ed8b7f6ab126449f507a,v0="
        ));
    }
}
