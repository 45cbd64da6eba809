//! Payments of orders and the provider events that move them.

pub mod events;
mod status;
mod store;

pub use status::{PaymentStatus, Transition, UnknownStatus};
pub use store::{Payment, PaymentEventSummary, PaymentFilter, create, find, is_known, list};
