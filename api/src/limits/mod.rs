//! Rate limits that fit real traffic (`[rate_limits]`): credentials per account and per
//! client IP, signed-in calls per user, anonymous calls per IP. Counters live in Redis (one
//! atomic script per hit: a fixed one-minute window), so every API process shares one budget;
//! while Redis cannot be reached each process counts alone and says so in its log.

mod client_ip;
mod local;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, ResponseError, web};

use comptoir_domain::config::RateLimitSettings;
use comptoir_domain::login_throttle;
use comptoir_jobs::RedisTransport;

use crate::degraded::DegradedLog;
use crate::error::ApiError;
use crate::state::AppState;
pub use client_ip::client_ip;
use local::LocalCounters;

pub const WINDOW: Duration = Duration::from_secs(60);
/// A limiter must not slow a request down: past this, the local counters decide.
const REDIS_BUDGET: Duration = Duration::from_millis(250);

const HIT: &str = "local n = redis.call('INCR', KEYS[1]) \
    local ttl = redis.call('PTTL', KEYS[1]) \
    if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) ttl = tonumber(ARGV[1]) end \
    return {n, ttl}";

/// One request counted against a budget.
#[derive(Debug, Clone, Copy)]
pub struct Verdict {
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the window ends.
    pub reset_secs: u64,
    over: bool,
}

impl Verdict {
    fn of(count: u32, limit: u32, reset: Duration) -> Self {
        Self {
            limit,
            remaining: limit.saturating_sub(count),
            reset_secs: reset.as_secs().max(1),
            over: count > limit,
        }
    }

    pub fn allowed(&self) -> bool {
        !self.over
    }

    /// `Err` with the 429 when over the budget.
    pub fn enforce(self) -> Result<Self, ApiError> {
        if self.over {
            Err(ApiError::RateLimited {
                retry_after_secs: self.reset_secs,
                limit: Some(self.limit),
            })
        } else {
            Ok(self)
        }
    }
}

/// The client's address as the limits see it (after trusted proxies), for handlers.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

pub struct Limits {
    redis: RedisTransport,
    local: LocalCounters,
    settings: RateLimitSettings,
    degraded: DegradedLog,
}

impl Limits {
    pub fn new(redis: RedisTransport, settings: &RateLimitSettings) -> Self {
        Self {
            redis,
            local: LocalCounters::default(),
            settings: settings.clone(),
            degraded: DegradedLog::default(),
        }
    }

    pub fn settings(&self) -> &RateLimitSettings {
        &self.settings
    }

    /// Counts one request of `key` (e.g. `account:a@b.c`) against `limit` per minute.
    pub async fn hit(&self, key: &str, limit: u32) -> Verdict {
        match tokio::time::timeout(REDIS_BUDGET, self.hit_shared(key, limit)).await {
            Ok(Ok(verdict)) => verdict,
            failed => {
                self.log_degraded(&match failed {
                    Ok(Err(err)) => err.to_string(),
                    _ => format!("no answer within {REDIS_BUDGET:?}"),
                });
                self.local.hit(key, limit)
            }
        }
    }

    async fn hit_shared(
        &self,
        key: &str,
        limit: u32,
    ) -> Result<Verdict, Box<dyn std::error::Error>> {
        let mut redis = self.redis.connection().await?;
        let (count, ttl_ms): (u32, u64) = redis::Script::new(HIT)
            .key(self.redis.namespaced(&format!("ratelimit:{key}")))
            .arg(WINDOW.as_millis() as u64)
            .invoke_async(&mut redis)
            .await?;
        Ok(Verdict::of(count, limit, Duration::from_millis(ttl_ms)))
    }

    fn log_degraded(&self, why: &str) {
        if self.degraded.due() {
            tracing::warn!(%why, "rate limits: Redis unreachable, counting in this process only");
        }
    }

    /// Counts a credential attempt for `account` (an email or a phone, as typed).
    pub async fn credential_attempt(&self, account: &str) -> Result<Verdict, ApiError> {
        let account = login_throttle::account_key(account);
        self.hit(
            &format!("account:{account}"),
            self.settings.credentials_per_account_per_minute,
        )
        .await
        .enforce()
    }

    /// Counts an authenticated request of `user`.
    pub async fn user_request(&self, user: uuid::Uuid) -> Result<Verdict, ApiError> {
        self.hit(&format!("user:{user}"), self.settings.user_per_minute)
            .await
            .enforce()
    }
}

/// The routes whose attempts are credentials (brute force, code guessing, SMS pumping).
fn is_credential_route(method: &Method, path: &str) -> bool {
    method == Method::POST
        && matches!(
            path,
            "/v1/auth/login"
                | "/v1/auth/register"
                | "/v1/auth/refresh"
                | "/v1/auth/otp/send"
                | "/v1/auth/otp/verify"
                | "/v1/auth/password/reset"
        )
}

/// Callers we never limit by IP: providers call webhooks from a few addresses, probes poll health.
fn is_exempt(path: &str) -> bool {
    is_provider_callback(path) || path.starts_with("/health/")
}

/// Payment and SMS providers' callbacks: bursts from a few addresses, each one to be taken.
pub(crate) fn is_provider_callback(path: &str) -> bool {
    path.starts_with("/v1/webhooks/")
}

/// The per-IP budgets: credentials for the credential routes, anonymous for other requests
/// without a token. Signed-in requests are counted per user when authenticated.
pub async fn per_ip(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let settings = state.limits.settings();
    let peer = req
        .peer_addr()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |addr| addr.ip());
    let ip = client_ip(peer, req.headers(), &settings.trusted_proxies);
    req.extensions_mut().insert(ClientIp(ip));
    let budget = if is_credential_route(req.method(), req.path()) {
        Some(("credentials-ip", settings.credentials_per_ip_per_minute))
    } else if !is_exempt(req.path()) && !req.headers().contains_key(header::AUTHORIZATION) {
        Some(("anonymous-ip", settings.anonymous_per_ip_per_minute))
    } else {
        None
    };
    if let Some((scope, limit)) = budget
        && let Err(refused) = state
            .limits
            .hit(&format!("{scope}:{ip}"), limit)
            .await
            .enforce()
    {
        let response = refused.error_response();
        return Ok(req.into_response(response).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// The client's address recorded by [`per_ip`].
pub fn client_of(req: &HttpRequest) -> Option<IpAddr> {
    req.extensions().get::<ClientIp>().map(|ip| ip.0)
}
