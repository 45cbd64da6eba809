//! `payments.refund.v1`: a requested refund carried out through Stripe, with the refund id as
//! the idempotency key (a retry after a lost answer gets the same refund back). The payment's
//! refunded amount then rises to what our done refunds add up to; `charge.refunded` events
//! raise it to Stripe's own total, whichever comes first.

use comptoir_domain::payments::refunds;
use comptoir_domain::payments::settle::{self, flag};
use comptoir_jobs::payments::RefundPayment;

use super::providers::ProviderError;
use super::{PaymentDesk, disabled};
use crate::error::{JobError, JobResult, ResultExt};

impl PaymentDesk {
    pub async fn refund(&self, job: &RefundPayment) -> JobResult {
        let mut conn = self.pool.acquire().await.transient()?;
        let Some(refund) = refunds::pending(&mut conn, job.refund_id)
            .await
            .transient()?
        else {
            return Err(JobError::Permanent(anyhow::anyhow!(
                "refund {} does not exist",
                job.refund_id
            )));
        };
        drop(conn);
        if refund.status != "requested" {
            return Ok(());
        }
        let stripe = self.stripe.as_ref().ok_or_else(|| disabled("stripe"))?;
        let intent = refund.provider_ref.as_deref().unwrap_or_default();
        let outcome = stripe
            .refund(
                &refund.id.to_string(),
                intent,
                refund.amount,
                refund.reason.as_deref() == Some("duplicate"),
            )
            .await;
        let mut tx = self.pool.begin().await.transient()?;
        let Some(payment) = settle::lock(&mut tx, refund.payment_id).await.transient()? else {
            return Ok(());
        };
        match &outcome {
            Ok(reference) => {
                refunds::finish(&mut tx, refund.id, Ok(reference))
                    .await
                    .transient()?;
                refunds::apply_recorded(&mut tx, &payment)
                    .await
                    .transient()?;
            }
            Err(ProviderError::Refused(reason)) => {
                refunds::finish(&mut tx, refund.id, Err(reason))
                    .await
                    .transient()?;
                flag(&mut tx, payment.id, "needs_refund")
                    .await
                    .transient()?;
            }
            Err(ProviderError::Transient(_)) => {}
        }
        tx.commit().await.transient()?;
        match outcome {
            Ok(reference) => {
                tracing::info!(refund_id = %refund.id, %reference, amount = refund.amount, "refund done");
                Ok(())
            }
            Err(ProviderError::Refused(reason)) => {
                tracing::warn!(refund_id = %refund.id, %reason, "Stripe refused the refund: flagged needs_refund");
                Ok(())
            }
            Err(ProviderError::Transient(err)) => Err(JobError::Transient(err)),
        }
    }
}
