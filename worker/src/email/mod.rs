//! Email: templates rendered to text + HTML, sent over pooled SMTP, each message once.

mod mailer;
mod templates;

pub use mailer::Mailer;
pub use templates::{Rendered, render};
