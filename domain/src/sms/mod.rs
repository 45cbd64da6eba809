//! Text messages (one row and one job each, sent at most once) and the one-time codes they
//! carry.

pub mod codes;
pub mod messages;
pub mod order_texts;
pub mod otp;
pub mod reports;

pub use messages::{NewSms, SmsPurpose};
pub use otp::OtpPurpose;
pub use reports::DeliveryStatus;
