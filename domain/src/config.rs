//! Typed, validated configuration: `config/default.toml`, then `config/$COMPTOIR_ENV.toml`, then
//! `COMPTOIR__SECTION__KEY` environment variables. Invalid settings fail start-up with the key.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::Deserialize;

mod catalogue;
mod files;
mod jobs;
mod limits;
mod log;
mod media;
mod payments;
mod privacy;
mod sms;
pub use catalogue::CatalogueSettings;
pub use files::{ImportSettings, S3Settings, StorageBackend, StorageSettings, ZipLimits};
pub use jobs::{JobSettings, QueueSettings, WorkerSettings};
pub use limits::RateLimitSettings;
pub use log::{LogFormat, LogSettings};
pub use media::{ClamdSettings, ImageSettings};
pub use payments::{
    CinetPaySettings, OrderSettings, PayGateSettings, PaymentSettings, StripeSettings,
};
pub use privacy::PrivacySettings;
pub use sms::{AfricasTalkingSettings, OtpSettings, SmsSettings, TwilioSettings};

/// A string that never shows up in logs or `Debug` output.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"[redacted]\"")
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub auth: AuthSettings,
    pub jobs: JobSettings,
    pub worker: WorkerSettings,
    pub smtp: SmtpSettings,
    pub storage: StorageSettings,
    pub images: ImageSettings,
    pub clamd: ClamdSettings,
    pub imports: ImportSettings,
    pub reports: ReportSettings,
    pub payments: PaymentSettings,
    pub orders: OrderSettings,
    pub sms: SmsSettings,
    pub otp: OtpSettings,
    pub log: LogSettings,
    pub rate_limits: RateLimitSettings,
    pub catalogue: CatalogueSettings,
    pub privacy: PrivacySettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSettings {
    pub signing_secret: Secret,
    pub link_ttl_secs: u64,
    pub retention_secs: u64,
    pub purge_interval_secs: u64,
    pub max_rows: u64,
    pub pdf_max_rows: u64,
    pub pdf_font_path: PathBuf,
    /// Embedded for the characters `pdf_font_path` lacks (Chinese, Japanese, Korean).
    pub pdf_fallback_font_path: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub bind: SocketAddr,
    pub metrics_bind: SocketAddr,
    pub json_limit_bytes: usize,
    pub workers: usize,
    pub public_url: String,
    /// A request body with no new bytes for this long is cut off (408).
    pub body_idle_timeout_secs: u64,
    /// Idle keep-alive connections are closed after this long.
    pub keep_alive_secs: u64,
    /// Connections held at once per worker thread; more wait in the kernel's backlog.
    pub max_connections_per_worker: usize,
    /// Connections one peer address may hold at once (trusted proxies exempt).
    pub max_connections_per_ip: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// May carry a password, hence secret.
    pub url: Secret,
    pub max_connections: u32,
    pub acquire_timeout_secs: u64,
    pub migrate_on_start: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisSettings {
    pub url: Secret,
    pub namespace: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub jwt_secret: Secret,
    pub access_ttl_secs: u64,
    pub refresh_ttl_secs: u64,
    pub max_failed_logins: u32,
    /// The first lockout of an (account, client IP) pair; each next one doubles, up to
    /// `lockout_secs`.
    pub first_lockout_secs: u64,
    pub lockout_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    None,
    Starttls,
    Tls,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: String,
    pub password: Secret,
    pub from: String,
    pub pool_max_size: u32,
    pub timeout_secs: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    #[error("configuration key `{key}`: {reason}")]
    Invalid { key: &'static str, reason: String },
}

/// The deployment environment, from `COMPTOIR_ENV` (default `development`).
pub fn environment() -> String {
    std::env::var("COMPTOIR_ENV").unwrap_or_else(|_| "development".to_owned())
}

fn config_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("COMPTOIR_CONFIG_DIR") {
        return PathBuf::from(dir);
    }
    // Binaries run from the workspace root or from a crate directory (cargo test).
    let here = Path::new("config");
    if here.join("default.toml").exists() {
        return here.to_path_buf();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../config")
}

impl Settings {
    /// Loads the layered configuration for the current environment and validates it.
    pub fn load() -> Result<Self, ConfigError> {
        Self::from_figment(Self::figment())
    }

    /// The layered sources for the current environment, before extraction.
    pub fn figment() -> Figment {
        Self::figment_for(&environment())
    }

    /// The layered sources for `env`; tests use `test` and merge their own overrides on top.
    pub fn figment_for(env: &str) -> Figment {
        let dir = config_dir();
        Figment::new()
            .merge(Toml::file(dir.join("default.toml")))
            .merge(Toml::file(dir.join(format!("{env}.toml"))))
            .merge(Env::prefixed("COMPTOIR__").split("__"))
    }

    pub fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        let settings: Settings = figment.extract().map_err(Box::new)?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, reason: &str| {
            Err(ConfigError::Invalid {
                key,
                reason: reason.to_owned(),
            })
        };
        for (key, secret) in [
            ("auth.jwt_secret", &self.auth.jwt_secret),
            ("reports.signing_secret", &self.reports.signing_secret),
            ("otp.pepper", &self.otp.pepper),
        ] {
            let secret = secret.expose();
            if secret.len() < 32 {
                return invalid(key, "must be at least 32 bytes");
            }
            if environment() == "production"
                && (secret.starts_with("development") || secret.contains("change-me"))
            {
                return invalid(key, "a published default secret is refused in production");
            }
        }
        let reports = &self.reports;
        if reports.link_ttl_secs == 0 || reports.retention_secs < reports.link_ttl_secs {
            return invalid(
                "reports.retention_secs",
                "must be at least reports.link_ttl_secs (> 0)",
            );
        }
        if reports.purge_interval_secs == 0 || reports.max_rows == 0 || reports.pdf_max_rows == 0 {
            return invalid(
                "reports.max_rows",
                "report limits and intervals must be > 0",
            );
        }
        if !self.database.url.expose().starts_with("postgres") {
            return invalid("database.url", "must be a postgres:// URL");
        }
        if !self.redis.url.expose().starts_with("redis") {
            return invalid("redis.url", "must be a redis:// or rediss:// URL");
        }
        if self.storage.backend == StorageBackend::S3 && self.storage.s3.bucket.is_empty() {
            return invalid(
                "storage.s3.bucket",
                "is required when storage.backend is \"s3\"",
            );
        }
        if self.imports.batch_rows == 0 {
            return invalid("imports.batch_rows", "must be at least 1");
        }
        if !crate::currencies::is_currency(&self.imports.default_currency) {
            return invalid(
                "imports.default_currency",
                "must be an ISO 4217 code such as XOF",
            );
        }
        if self.database.max_connections == 0 {
            return invalid("database.max_connections", "must be at least 1");
        }
        if self.auth.access_ttl_secs == 0 || self.auth.refresh_ttl_secs <= self.auth.access_ttl_secs
        {
            return invalid(
                "auth.refresh_ttl_secs",
                "must be longer than auth.access_ttl_secs (> 0)",
            );
        }
        if self.auth.max_failed_logins == 0 {
            return invalid("auth.max_failed_logins", "must be at least 1");
        }
        limits::validate(&self.rate_limits)?;
        catalogue::validate(&self.catalogue)?;
        privacy::validate(&self.privacy)?;
        jobs::validate(&self.jobs, &self.worker)?;
        media::validate(&self.images, &self.clamd)?;
        if !self.smtp.from.contains('@') {
            return invalid("smtp.from", "must be a mailbox such as `Name <user@host>`");
        }
        Ok(())
    }

    /// Queue concurrency for a worker process (validated: every served queue is listed).
    pub fn queue_concurrency(&self, queue: &str) -> usize {
        self.jobs.queues.get(queue).map_or(1, |q| q.concurrency)
    }

    pub fn queue_max_attempts(&self, queue: &str) -> u32 {
        self.jobs
            .queues
            .get(queue)
            .and_then(|q| q.max_attempts)
            .unwrap_or(self.jobs.max_attempts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use figment::providers::Serialized;

    #[test]
    fn defaults_load_and_validate() {
        let settings = Settings::from_figment(Settings::figment()).expect("defaults are valid");
        assert_eq!(settings.auth.access_ttl_secs, 900);
        assert_eq!(settings.queue_concurrency("email"), 32);
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let figment = Settings::figment().merge(Serialized::default("auth.jwt_secret", "short"));
        let err = Settings::from_figment(figment).expect_err("short secret refused");
        assert!(err.to_string().contains("auth.jwt_secret"), "{err}");
    }

    #[test]
    fn report_links_need_a_long_secret_and_a_retention_covering_them() {
        let short =
            Settings::figment().merge(Serialized::default("reports.signing_secret", "short"));
        let err = Settings::from_figment(short).expect_err("short secret refused");
        assert!(err.to_string().contains("reports.signing_secret"), "{err}");
        let retention =
            Settings::figment().merge(Serialized::default("reports.retention_secs", 60));
        let err = Settings::from_figment(retention).expect_err("links outlive files");
        assert!(err.to_string().contains("reports.retention_secs"), "{err}");
    }

    #[test]
    fn a_mistyped_value_names_its_key() {
        let figment =
            Settings::figment().merge(Serialized::default("database.max_connections", "many"));
        let err = Settings::from_figment(figment).expect_err("type error");
        assert!(err.to_string().contains("max_connections"), "{err}");
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let settings = Settings::from_figment(Settings::figment()).expect("valid");
        let debug = format!("{settings:?}");
        assert!(!debug.contains("development-secret"), "{debug}");
        assert!(debug.contains("[redacted]"));
    }
}
