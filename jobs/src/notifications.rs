//! Notification jobs.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Job, queues};

/// Fans an admin's notification batch out: one notification per recipient and, for email, one
/// [`crate::email::SendEmail`] per recipient (dedupe key `notification:<batch>:<user>`). The
/// batch row holds the audience and the message; running the job again creates nothing twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FanOutNotification {
    pub batch_id: Uuid,
}

impl Job for FanOutNotification {
    const KIND: &'static str = "notifications.fan_out.v1";
    const QUEUE: &'static str = queues::NOTIFICATIONS;
}
