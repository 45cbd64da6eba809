//! Signed, expiring download links of stored files (reports, shipping documents). The token
//! binds what it opens (a subject, `report` or `order_document`, and its id), its holder and
//! the expiry time with HMAC-SHA256: `<expires_unix>.<holder>.<signature>`, the signature
//! covering `<subject>:<id>:<holder>:<expires_unix>`. Changing any part, or presenting it for
//! another file, breaks the signature. The API verifies it; the worker signs emailed links.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use crate::config::Secret;
use crate::reports::Report;

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the download link is invalid")]
    Invalid,
    #[error("the download link has expired")]
    Expired,
}

/// The subject of report links.
const REPORT: &str = "report";

fn mac(secret: &Secret, subject: &str, id: Uuid, holder: Uuid, expires: i64) -> HmacSha256 {
    // HMAC accepts keys of any length.
    let mut mac = HmacSha256::new_from_slice(secret.expose().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any size"));
    mac.update(format!("{subject}:{id}:{holder}:{expires}").as_bytes());
    mac
}

/// A token opening `subject` `id` for `holder` until `expires_at`.
pub fn sign_for(
    secret: &Secret,
    subject: &str,
    id: Uuid,
    holder: Uuid,
    expires_at: DateTime<Utc>,
) -> String {
    let expires = expires_at.timestamp();
    let signature = mac(secret, subject, id, holder, expires)
        .finalize()
        .into_bytes();
    format!(
        "{expires}.{}.{}",
        holder.simple(),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

/// A token for `report_id`, valid for `requester`'s report until `expires_at`.
pub fn sign(
    secret: &Secret,
    report_id: Uuid,
    requester: Uuid,
    expires_at: DateTime<Utc>,
) -> String {
    sign_for(secret, REPORT, report_id, requester, expires_at)
}

/// When a link issued `now` stops working: `ttl_secs` later, never past `not_after` (the file's
/// own expiry), in whole seconds as the token carries them. `None` when that is not in the
/// future.
pub fn expiry(
    ttl_secs: u64,
    not_after: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let ttl = chrono::Duration::seconds(i64::try_from(ttl_secs).unwrap_or(i64::MAX / 1000));
    let until = not_after.map_or(now + ttl, |limit| (now + ttl).min(limit));
    DateTime::from_timestamp(until.timestamp(), 0).filter(|expires| *expires > now)
}

/// A download link for a finished report: its path (`/v1/reports/{id}/download?token=…`) and
/// when it stops working (`ttl_secs` from `now`, never past the file's own expiry). `None` when
/// the report has no file (yet, or any more).
pub fn issue(
    secret: &Secret,
    report: &Report,
    ttl_secs: u64,
    now: DateTime<Utc>,
) -> Option<(String, DateTime<Utc>)> {
    let file_expires = report.expires_at?;
    report.file_key.as_ref()?;
    let expires = expiry(ttl_secs, Some(file_expires), now)?;
    let token = sign(secret, report.id, report.requested_by, expires);
    Some((
        format!("/v1/reports/{}/download?token={token}", report.id),
        expires,
    ))
}

/// The requester the token was issued to, if it is genuine for `report_id` and not expired.
pub fn verify(
    secret: &Secret,
    token: &str,
    report_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Uuid, LinkError> {
    verify_for(secret, REPORT, token, report_id, now)
}

/// The holder the token was issued to, if it is genuine for `subject` `id` and not expired.
pub fn verify_for(
    secret: &Secret,
    subject: &str,
    token: &str,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Uuid, LinkError> {
    let mut parts = token.split('.');
    let (Some(expires), Some(holder), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(LinkError::Invalid);
    };
    let expires: i64 = expires.parse().map_err(|_| LinkError::Invalid)?;
    let holder = Uuid::try_parse(holder).map_err(|_| LinkError::Invalid)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| LinkError::Invalid)?;
    mac(secret, subject, id, holder, expires)
        .verify_slice(&signature)
        .map_err(|_| LinkError::Invalid)?;
    if now.timestamp() >= expires {
        return Err(LinkError::Expired);
    }
    Ok(holder)
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn secret() -> Secret {
        Secret::new("a-test-secret-of-at-least-32-bytes!!")
    }

    #[test]
    fn a_token_verifies_for_its_report_until_it_expires() {
        let (report, requester, now) = (Uuid::now_v7(), Uuid::now_v7(), Utc::now());
        let token = sign(&secret(), report, requester, now + Duration::hours(1));
        assert_eq!(verify(&secret(), &token, report, now), Ok(requester));
        assert_eq!(
            verify(&secret(), &token, report, now + Duration::hours(2)),
            Err(LinkError::Expired)
        );
        assert_eq!(
            verify(&secret(), &token, Uuid::now_v7(), now),
            Err(LinkError::Invalid)
        );
        let other_key = Secret::new("another-secret-of-at-least-32-bytes!!");
        assert_eq!(
            verify(&other_key, &token, report, now),
            Err(LinkError::Invalid)
        );
    }

    #[test]
    fn a_token_opens_only_its_subject() {
        let (id, holder, now) = (Uuid::now_v7(), Uuid::now_v7(), Utc::now());
        let token = sign(&secret(), id, holder, now + Duration::hours(1));
        assert_eq!(
            verify_for(&secret(), "order_document", &token, id, now),
            Err(LinkError::Invalid)
        );
        let token = sign_for(
            &secret(),
            "order_document",
            id,
            holder,
            now + Duration::hours(1),
        );
        assert_eq!(
            verify_for(&secret(), "order_document", &token, id, now),
            Ok(holder)
        );
    }

    #[test]
    fn a_changed_expiry_or_requester_breaks_the_signature() {
        let (report, requester, now) = (Uuid::now_v7(), Uuid::now_v7(), Utc::now());
        let token = sign(&secret(), report, requester, now + Duration::hours(1));
        let (expires, rest) = token.split_once('.').expect("three parts");
        let later: i64 = expires.parse::<i64>().expect("number") + 86_400;
        for forged in [
            format!("{later}.{rest}"),
            format!(
                "{expires}.{}.{}",
                Uuid::now_v7().simple(),
                rest.split_once('.').expect("sig").1
            ),
            format!("{token}x"),
            "garbage".to_owned(),
            String::new(),
        ] {
            assert_eq!(
                verify(&secret(), &forged, report, now),
                Err(LinkError::Invalid),
                "{forged}"
            );
        }
    }
}
