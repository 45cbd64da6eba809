//! Settling an observation and its consequences, in one transaction: the payment's move, the
//! order paid once with the client's receipt (a unique job per order) and the seller's notice,
//! and the refund of a duplicate.

use uuid::Uuid;

use comptoir_domain::notifications::{self, Channel, NewNotification};
use comptoir_domain::payments::settle::{self, Observation, PaidOrder};
use comptoir_domain::sms::order_texts::OrderEvent;
use comptoir_jobs::email::{EmailMessage, SendEmail};
use comptoir_jobs::payments::RefundPayment;
use comptoir_jobs::sms::text_order;

use super::PaymentDesk;
use crate::error::{JobResult, ResultExt};

/// How a provider is named to people.
fn method(provider: &str) -> &'static str {
    match provider {
        "stripe" => "Card (Stripe)",
        "cinetpay" => "Mobile money or card (CinetPay)",
        "paygate" => "Mobile money (PayGate)",
        _ => "Cash or transfer",
    }
}

impl PaymentDesk {
    pub(super) async fn apply(&self, payment_id: Uuid, seen: &Observation) -> JobResult {
        let mut tx = self.pool.begin().await.transient()?;
        let Some((payment, settlement)) = settle::settle(&mut tx, payment_id, seen)
            .await
            .transient()?
        else {
            tracing::warn!(%payment_id, "observation for an unknown payment: ignored");
            return Ok(());
        };
        if let Some(paid) = &settlement.paid {
            self.announce(&mut tx, paid, &payment).await?;
        }
        if let Some(refund_id) = settlement.refund {
            self.producer
                .enqueue(&mut tx, &RefundPayment { refund_id })
                .await
                .transient()?;
        }
        self.producer.commit(tx).await.transient()?;
        if let Some((from, to)) = settlement.moved {
            tracing::info!(%payment_id, %from, %to, flagged = ?settlement.flagged, "payment moved");
        }
        Ok(())
    }

    /// The receipt to the client (once per order: a unique job) and the seller's notice.
    async fn announce(
        &self,
        tx: &mut sqlx::PgConnection,
        paid: &PaidOrder,
        payment: &settle::LockedPayment,
    ) -> JobResult {
        let total = comptoir_domain::money::format_money(payment.amount, &payment.currency);
        let notice = format!(
            "Order {} is paid ({total}, {}). It is ready to prepare.",
            paid.order_id,
            method(&payment.provider)
        );
        notifications::insert(
            &mut *tx,
            NewNotification {
                user_id: paid.shop_owner_id,
                channel: Channel::InApp,
                subject: Some("Order paid"),
                body: &notice,
            },
        )
        .await
        .transient()?;
        let Some(to) = paid.client_email.clone() else {
            // A phone-only client hears by text, if their phone is verified.
            return text_order(
                &self.producer,
                tx,
                &self.sms,
                paid.order_id,
                OrderEvent::Paid,
            )
            .await
            .transient();
        };
        let key = format!("payment-receipt:{}", paid.order_id);
        let email = SendEmail {
            to,
            dedupe_key: key.clone(),
            message: EmailMessage::PaymentReceipt {
                name: paid.client_name.clone(),
                order_id: paid.order_id,
                shop_name: paid.shop_name.clone(),
                currency: payment.currency.clone(),
                amount: payment.amount,
                method: method(&payment.provider).to_owned(),
                reference: payment.id.to_string(),
            },
        };
        self.producer
            .enqueue_unique(tx, &email, key)
            .await
            .transient()?;
        Ok(())
    }
}
