//! Text message jobs.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Job, queues};

/// Sends the recorded message `sms_id` (at most once: see `domain::sms::messages::claim`). For a
/// one-time code the worker draws the code, stores its digest and writes the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendSms {
    pub sms_id: Uuid,
}

impl Job for SendSms {
    const KIND: &'static str = "sms.send.v1";
    const QUEUE: &'static str = queues::SMS;
}
