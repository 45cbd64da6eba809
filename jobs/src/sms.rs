//! Text message jobs.

use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

use comptoir_domain::StoreResult;
use comptoir_domain::config::SmsSettings;
use comptoir_domain::sms::order_texts::{self, OrderEvent};

use crate::{Job, Producer, queues};

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

/// Records the text about `event` for order `order_id`'s client, when they should get one (see
/// `domain::sms::order_texts`), and enqueues its send in the same transaction.
pub async fn text_order(
    producer: &Producer,
    tx: &mut PgConnection,
    settings: &SmsSettings,
    order_id: Uuid,
    event: OrderEvent,
) -> StoreResult<()> {
    if let Some(sms_id) = order_texts::record(tx, settings, order_id, event).await? {
        producer.enqueue(tx, &SendSms { sms_id }).await?;
    }
    Ok(())
}
