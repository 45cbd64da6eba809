//! Authentication (passwords, tokens) and authorization (the role guard).

mod guard;
pub mod password;
pub mod tokens;

pub use guard::{Admin, AuthUser, Client, MaybeUser, Merchant, banned};
