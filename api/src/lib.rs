//! Comptoir's HTTP API: thin handlers over the domain crate; heavy work goes to the job queue.

pub mod auth;
mod body_timeout;
mod catalogue_cache;
mod connections;
mod console;
mod degraded;
mod download;
pub mod error;
mod extract;
pub mod idempotency;
mod json_bodies;
mod ledger_gauges;
pub mod limits;
pub mod multipart;
mod observe;
pub mod routes;
mod startup;
pub mod state;
mod validate;
mod views;
mod webhook_intake;
pub mod webhooks;

pub use startup::Application;
