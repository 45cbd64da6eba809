//! Jobs about the job system itself.

use serde::{Deserialize, Serialize};

use crate::{Job, queues};

/// Does nothing: the admin canary and the job benchmark time the job system with it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ping {}

impl Job for Ping {
    const KIND: &'static str = "system.ping.v1";
    const QUEUE: &'static str = queues::SYSTEM;
}
