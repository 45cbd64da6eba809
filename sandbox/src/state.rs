//! The shared state of one sandbox: its settings, the providers' in-memory records, the phone
//! inbox and the courier that delivers callbacks.

use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::callbacks::Courier;
use crate::faults::Faults;
use crate::inbox::Inbox;
use crate::settings::Settings;
use crate::{cinetpay, paygate, stripe};

pub struct AppState {
    pub settings: Settings,
    /// Base of the URLs handed out, without a trailing slash.
    pub public_url: String,
    pub courier: Courier,
    pub faults: Faults,
    pub stripe: Mutex<stripe::Store>,
    pub cinetpay: Mutex<cinetpay::Store>,
    pub paygate: Mutex<paygate::Store>,
    /// Every text message Twilio or Africa's Talking accepted (they keep no other record).
    pub inbox: Mutex<Inbox>,
}

/// Locks a store; a panic in another request must not wedge the sandbox, and every store
/// update is a single assignment sequence that leaves it usable.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
