//! Access tokens (HS256 JWT, short-lived) and refresh tokens (opaque, random, stored hashed).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use comptoir_domain::config::AuthSettings;
use comptoir_domain::types::Role;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    /// The session (refresh-token family) it was issued in: logging out or a revoked family
    /// ends the access token at once.
    pub sid: Uuid,
    pub role: Role,
    pub exp: i64,
    pub iat: i64,
}

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

impl TokenKeys {
    pub fn new(settings: &AuthSettings) -> Self {
        let secret = settings.jwt_secret.expose().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl: Duration::seconds(i64::try_from(settings.access_ttl_secs).unwrap_or(900)),
            refresh_ttl: Duration::seconds(
                i64::try_from(settings.refresh_ttl_secs).unwrap_or(604_800),
            ),
        }
    }

    pub fn issue_access(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        role: Role,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let now = Utc::now();
        let claims = Claims {
            sub: user_id,
            sid: session_id,
            role,
            iat: now.timestamp(),
            exp: (now + self.access_ttl).timestamp(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    /// Verifies signature, algorithm and expiry.
    pub fn verify_access(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|data| data.claims)
    }
}

/// A new opaque refresh token: 256 random bits, URL-safe.
pub fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database stores instead of the token.
pub fn hash_refresh_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use comptoir_domain::config::Secret;

    fn keys(secret: &str) -> TokenKeys {
        TokenKeys::new(&AuthSettings {
            jwt_secret: Secret::new(secret),
            access_ttl_secs: 900,
            refresh_ttl_secs: 3600,
            max_failed_logins: 5,
            first_lockout_secs: 60,
            lockout_secs: 900,
        })
    }

    #[test]
    fn access_tokens_round_trip_and_reject_other_keys() {
        let id = Uuid::now_v7();
        let token = keys("a-secret-of-at-least-thirty-two-bytes!!")
            .issue_access(id, Uuid::now_v7(), Role::Seller)
            .expect("signs");
        let claims = keys("a-secret-of-at-least-thirty-two-bytes!!")
            .verify_access(&token)
            .expect("verifies");
        assert_eq!((claims.sub, claims.role), (id, Role::Seller));
        assert!(
            keys("another-secret-of-at-least-thirty-two-b")
                .verify_access(&token)
                .is_none()
        );
        assert!(
            keys("a-secret-of-at-least-thirty-two-bytes!!")
                .verify_access(&format!("{token}x"))
                .is_none()
        );
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let (a, b) = (new_refresh_token(), new_refresh_token());
        assert_ne!(a, b);
        assert_eq!(hash_refresh_token(&a).len(), 32);
        assert_ne!(hash_refresh_token(&a), a.as_bytes());
    }
}
