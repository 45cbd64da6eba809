//! `payments.reconcile_event.v1` and `payments.requery.v1`: what the provider says, settled.
//! A Stripe event's verified object is the provider's word; a mobile-money notification is
//! only a hint, confirmed by asking the provider (CinetPay's check, PayGate's status).

use chrono::Utc;

use comptoir_domain::payments::PaymentStatus;
use comptoir_domain::payments::events;
use comptoir_domain::payments::initiation::{self, ToInitiate};
use comptoir_domain::payments::settle::Observation;
use comptoir_jobs::payments::{ReconcileEvent, RequeryPayment};

use super::providers::{ProviderError, stripe};
use super::{PaymentDesk, disabled};
use crate::error::{JobError, JobResult, ResultExt};

impl PaymentDesk {
    pub async fn reconcile(&self, job: &ReconcileEvent) -> JobResult {
        let Some(event) = events::find(&self.pool, job.event_id).await.transient()? else {
            return Err(JobError::Permanent(anyhow::anyhow!(
                "payment event {} does not exist",
                job.event_id
            )));
        };
        let Some(payment_id) = event.payment_id else {
            tracing::info!(event_id = %event.id, "provider event names none of our payments");
            return events::mark_processed(&self.pool, event.id)
                .await
                .transient();
        };
        let seen = if event.provider == "stripe" {
            stripe::observe(&event.event_type, &event.payload["data"]["object"])
        } else {
            match self.payment(payment_id).await? {
                Some(payment) => Some(self.ask_provider(&payment).await?),
                None => None,
            }
        };
        if let Some(seen) = seen {
            self.apply(payment_id, &seen).await?;
        }
        events::mark_processed(&self.pool, event.id)
            .await
            .transient()
    }

    /// Asks again about an open payment; past its provider's timeout, still waiting, it expires.
    pub async fn requery(&self, job: &RequeryPayment) -> JobResult {
        let Some(payment) = self.payment(job.payment_id).await? else {
            return Ok(());
        };
        if !matches!(payment.status.as_str(), "initiating" | "pending") {
            return Ok(());
        }
        // Still initiating, the provider may not know it yet: only the timeout applies.
        let mut seen = if payment.provider_ref.is_some() {
            self.ask_provider(&payment).await?
        } else {
            Observation::status(PaymentStatus::Pending)
        };
        let expire_after = self.expire_after_mins(&payment.provider);
        let age = Utc::now() - payment.created_at;
        if seen.status == PaymentStatus::Pending && age.num_minutes() >= expire_after {
            seen = Observation {
                reason: Some(format!(
                    "not paid within {expire_after} minutes with {}",
                    payment.provider
                )),
                ..Observation::status(PaymentStatus::Expired)
            };
        }
        self.apply(payment.id, &seen).await
    }

    async fn payment(&self, id: uuid::Uuid) -> Result<Option<ToInitiate>, JobError> {
        initiation::to_initiate(&self.pool, id).await.transient()
    }

    fn expire_after_mins(&self, provider: &str) -> i64 {
        let mins = match provider {
            "stripe" => self.settings.stripe.expire_after_mins,
            "cinetpay" => self.settings.cinetpay.expire_after_mins,
            _ => self.settings.paygate.expire_after_mins,
        };
        i64::try_from(mins).unwrap_or(i64::MAX)
    }

    /// The provider's current answer about `payment`.
    async fn ask_provider(&self, payment: &ToInitiate) -> Result<Observation, JobError> {
        let id = payment.id.to_string();
        let answer = match payment.provider.as_str() {
            "stripe" => {
                let stripe = self.stripe.as_ref().ok_or_else(|| disabled("stripe"))?;
                let Some(reference) = payment.provider_ref.as_deref() else {
                    return Ok(Observation::status(PaymentStatus::Pending));
                };
                stripe.requery(reference).await
            }
            "cinetpay" => {
                let cinetpay = self.cinetpay.as_ref().ok_or_else(|| disabled("cinetpay"))?;
                cinetpay.check(&id, &payment.currency).await
            }
            "paygate" => {
                let paygate = self.paygate.as_ref().ok_or_else(|| disabled("paygate"))?;
                paygate.check(&id).await
            }
            other => {
                return Err(JobError::Permanent(anyhow::anyhow!(
                    "provider `{other}` cannot be asked"
                )));
            }
        };
        answer.map_err(|err| match err {
            ProviderError::Transient(err) => JobError::Transient(err),
            ProviderError::Refused(message) => JobError::Permanent(anyhow::anyhow!(
                "{} refused the status query: {message}",
                payment.provider
            )),
        })
    }
}
