//! Payment jobs: initiation with the provider, reconciliation of stored provider events,
//! re-queries of payments left open, refunds, and the periodic sweep.

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

/// Asks the provider again about an open payment (a re-query of a stale pending payment), and
/// expires it once past its provider's timeout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequeryPayment {
    pub payment_id: Uuid,
}

impl Job for RequeryPayment {
    const KIND: &'static str = "payments.requery.v1";
    const QUEUE: &'static str = queues::PAYMENTS;
}

/// Carries out the refund `refund_id` through its payment's provider (Stripe), with the refund
/// id as the idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundPayment {
    pub refund_id: Uuid,
}

impl Job for RefundPayment {
    const KIND: &'static str = "payments.refund.v1";
    const QUEUE: &'static str = queues::PAYMENTS;
}

/// The periodic payment sweep: re-queries stale pending payments and cancels orders left
/// unpaid past `orders.unpaid_timeout_mins`, returning their stock. Once per tick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentSweep {
    pub tick: String,
}

impl Job for PaymentSweep {
    const KIND: &'static str = "payments.sweep.v1";
    const QUEUE: &'static str = queues::PAYMENTS;
}
