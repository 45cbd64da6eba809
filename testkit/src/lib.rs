//! Test harness shared by the integration tests. Every test gets its own database and Redis
//! namespace, so tests run in parallel without seeing each other's rows or jobs.

pub mod app;
pub mod bench;
pub mod chaos;
pub mod db;
pub mod mail;
pub mod market;
pub mod process;
pub mod signing;
pub mod wait;

pub use app::{TestApp, assert_problem, spawn_app, spawn_app_with};
pub use db::test_settings;
pub use process::worker_env;
pub use wait::wait_until;
