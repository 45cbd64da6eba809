//! Test harness shared by the integration tests. Every test gets its own database and Redis
//! namespace, so tests run in parallel without seeing each other's rows or jobs.

pub mod app;
pub mod bench;
pub mod chaos;
pub mod console;
pub mod db;
pub mod mail;
pub mod market;
pub mod metrics;
pub mod process;
pub mod signing;
pub mod wait;

pub use app::{TestApp, assert_problem, spawn_app, spawn_app_with};
pub use db::test_settings;
pub use process::worker_env;
pub use wait::wait_until;

/// Machine-wide state of `scripts/services.sh` (the SMTP sink's maildir, Python tools'
/// virtualenvs): `$COMPTOIR_STATE_DIR`, default `/var/tmp/comptoir`.
pub fn state_dir() -> std::path::PathBuf {
    std::env::var_os("COMPTOIR_STATE_DIR")
        .unwrap_or_else(|| "/var/tmp/comptoir".into())
        .into()
}
