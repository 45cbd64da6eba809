//! `payments.initiate.v1`: asks the provider for the payment. The payment id is Stripe's
//! idempotency key, CinetPay's transaction id and PayGate's identifier, so a retried job finds
//! the provider payment its lost first attempt made instead of making a second one.

use comptoir_domain::money::format_money;
use comptoir_domain::payments::initiation::{self, Initiated, ToInitiate};
use comptoir_jobs::payments::InitiatePayment;

use super::providers::cinetpay::{Initialised, NewPayment};
use super::providers::paygate::{NewRequest, network};
use super::providers::stripe::NewSession;
use super::providers::{ProviderError, ProviderResult};
use super::{PaymentDesk, disabled};
use crate::error::{JobError, JobResult, ResultExt};

/// The provider's answer, to record.
struct Answer {
    provider_ref: String,
    checkout_url: Option<String>,
    instructions: Option<String>,
}

impl PaymentDesk {
    pub async fn initiate(&self, job: &InitiatePayment) -> JobResult {
        let Some(payment) = initiation::to_initiate(&self.pool, job.payment_id)
            .await
            .transient()?
        else {
            return Err(JobError::Permanent(anyhow::anyhow!(
                "payment {} does not exist",
                job.payment_id
            )));
        };
        if payment.status != "initiating" {
            tracing::info!(payment_id = %payment.id, status = %payment.status, "payment already initiated");
            return Ok(());
        }
        let answer = match payment.provider.as_str() {
            "stripe" => self.stripe_session(&payment).await?,
            "cinetpay" => self.cinetpay_payment(&payment).await?,
            "paygate" => self.paygate_request(&payment).await?,
            other => {
                return Err(JobError::Permanent(anyhow::anyhow!(
                    "provider `{other}` is not initiated by a job"
                )));
            }
        };
        match answer {
            Ok(answer) => {
                initiation::mark_pending(
                    &self.pool,
                    payment.id,
                    Initiated {
                        provider_ref: &answer.provider_ref,
                        checkout_url: answer.checkout_url.as_deref(),
                        instructions: answer.instructions.as_deref(),
                    },
                )
                .await
                .transient()?;
                tracing::info!(payment_id = %payment.id, provider = %payment.provider, "payment pending with its provider");
                Ok(())
            }
            Err(ProviderError::Refused(reason)) => {
                tracing::warn!(payment_id = %payment.id, provider = %payment.provider, %reason, "provider refused the payment");
                initiation::mark_refused(&self.pool, payment.id, &reason)
                    .await
                    .transient()
            }
            Err(ProviderError::Transient(err)) => Err(JobError::Transient(err)),
        }
    }

    fn return_url(&self, payment: &ToInitiate) -> String {
        payment
            .return_url
            .clone()
            .unwrap_or_else(|| format!("{}/v1/payments/{}", self.public_url, payment.id))
    }

    fn description(payment: &ToInitiate) -> String {
        format!("Order {} at {}", payment.order_id, payment.shop_name)
    }

    async fn stripe_session(
        &self,
        payment: &ToInitiate,
    ) -> Result<ProviderResult<Answer>, JobError> {
        let stripe = self.stripe.as_ref().ok_or_else(|| disabled("stripe"))?;
        let (id, order_id) = (payment.id.to_string(), payment.order_id.to_string());
        let back = self.return_url(payment);
        let name = Self::description(payment);
        let created = stripe
            .create_session(&NewSession {
                payment_id: &id,
                order_id: &order_id,
                name: &name,
                currency: &payment.currency,
                amount: payment.amount,
                customer_email: payment.client_email.as_deref(),
                success_url: &back,
                cancel_url: &back,
            })
            .await;
        Ok(created.map(|session| Answer {
            provider_ref: session.payment_intent.unwrap_or(session.id),
            checkout_url: session.url,
            instructions: None,
        }))
    }

    async fn cinetpay_payment(
        &self,
        payment: &ToInitiate,
    ) -> Result<ProviderResult<Answer>, JobError> {
        let cinetpay = self.cinetpay.as_ref().ok_or_else(|| disabled("cinetpay"))?;
        let id = payment.id.to_string();
        let notify = format!("{}/v1/webhooks/mobile-money/cinetpay", self.public_url);
        let back = self.return_url(payment);
        let description = Self::description(payment);
        let answer = cinetpay
            .initialise(&NewPayment {
                transaction_id: &id,
                amount: payment.amount,
                currency: &payment.currency,
                description: &description,
                notify_url: &notify,
                return_url: &back,
                phone: payment.phone.as_deref(),
            })
            .await;
        Ok(answer.and_then(|initialised| match initialised {
            Initialised::Created { token, url } => Ok(Answer {
                provider_ref: token,
                checkout_url: Some(url),
                instructions: None,
            }),
            // The link went with the lost answer and CinetPay does not give it again; nobody
            // can have paid without it. A new payment gets a new link.
            Initialised::AlreadyRegistered => Err(ProviderError::Refused(
                "an interrupted attempt registered this transaction and its payment link was \
                 lost; start a new payment"
                    .into(),
            )),
        }))
    }

    async fn paygate_request(
        &self,
        payment: &ToInitiate,
    ) -> Result<ProviderResult<Answer>, JobError> {
        let paygate = self.paygate.as_ref().ok_or_else(|| disabled("paygate"))?;
        let phone = payment.phone.clone().unwrap_or_default();
        let id = payment.id.to_string();
        let description = Self::description(payment);
        let registered = paygate
            .pay(&NewRequest {
                identifier: &id,
                amount: payment.amount,
                currency: &payment.currency,
                phone: &phone,
                description: &description,
            })
            .await;
        let network = match network(&phone) {
            Some("FLOOZ") => "Flooz",
            _ => "T-Money",
        };
        let amount = format_money(payment.amount, &payment.currency);
        Ok(registered.map(|tx_reference| Answer {
            provider_ref: tx_reference,
            checkout_url: None,
            instructions: Some(format!(
                "Approve the {network} request of {amount} on your phone {phone}."
            )),
        }))
    }
}
