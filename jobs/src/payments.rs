//! Payment jobs: the reconciliation of a stored provider event.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Job, queues};

/// Settles what the stored provider event `event_id` says about its payment, from the provider's
/// authoritative state (the verified Stripe event object, or a re-query for mobile money).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcileEvent {
    pub event_id: Uuid,
}

impl Job for ReconcileEvent {
    const KIND: &'static str = "payments.reconcile_event.v1";
    const QUEUE: &'static str = queues::PAYMENTS;
}

/// Asks the provider for the payment `payment_id` (a Checkout Session, a CinetPay transaction, a
/// PayGate request), with the payment id as the idempotency key or transaction id, so that a
/// retried initiation never creates a second provider payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitiatePayment {
    pub payment_id: Uuid,
}

impl Job for InitiatePayment {
    const KIND: &'static str = "payments.initiate.v1";
    const QUEUE: &'static str = queues::PAYMENTS;
}
