//! Payments of orders and the provider events that move them.

pub mod currencies;
pub mod events;
pub mod initiation;
pub mod refunds;
pub mod settle;
mod status;
mod store;
pub mod sweep;

pub use status::{PaymentStatus, Transition, UnknownStatus};
pub use store::{
    Payment, PaymentEventSummary, PaymentFilter, create, find, is_known, list, record_manual,
};
