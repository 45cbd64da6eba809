//! The `sms` queue: `sms.send.v1` hands one recorded message to the provider its destination is
//! routed to, at most once. The row is marked `sending` before the call; a run that finds it
//! already `sending` was interrupted mid-call and leaves it `unknown` rather than risk a second
//! SMS. For a one-time code the code is drawn here and only its digest stored.

mod providers;
mod text;

use sqlx::PgPool;
use uuid::Uuid;

use comptoir_domain::config::{OtpSettings, SmsSettings};
use comptoir_domain::sms::messages::{self, Claim, Outgoing};
use comptoir_domain::sms::{OtpPurpose, codes, otp};
use comptoir_jobs::sms::SendSms;

use crate::error::{JobError, JobResult, ResultExt};
use providers::africastalking::AfricasTalking;
use providers::twilio::Twilio;
use providers::{SendError, SendResult};

pub struct SmsDesk {
    pool: PgPool,
    settings: SmsSettings,
    otp: OtpSettings,
    twilio: Option<Twilio>,
    africastalking: Option<AfricasTalking>,
}

impl SmsDesk {
    pub fn new(
        pool: PgPool,
        settings: &SmsSettings,
        otp: &OtpSettings,
        public_url: &str,
    ) -> anyhow::Result<Self> {
        let client = crate::payments::providers::http_client(settings.request_timeout_secs)?;
        let public_url = public_url.trim_end_matches('/');
        Ok(Self {
            pool,
            twilio: settings
                .twilio
                .enabled()
                .then(|| Twilio::new(&settings.twilio, client.clone(), public_url)),
            africastalking: settings
                .africastalking
                .enabled()
                .then(|| AfricasTalking::new(&settings.africastalking, client)),
            settings: settings.clone(),
            otp: otp.clone(),
        })
    }

    pub async fn send(&self, job: &SendSms) -> JobResult {
        let id = job.sms_id;
        let Some((to, failures)) = messages::routing(&self.pool, id).await.transient()? else {
            return Err(JobError::Permanent(anyhow::anyhow!(
                "sms {id} does not exist"
            )));
        };
        let provider = self.provider_for(&to, failures);
        let mut conn = self.pool.acquire().await.transient()?;
        let outgoing = match messages::claim(&mut conn, id, provider).await.transient()? {
            Claim::Send(outgoing) => outgoing,
            Claim::Interrupted => {
                tracing::warn!(sms_id = %id, "sms interrupted during its provider call: left unknown, not sent again");
                return Ok(());
            }
            Claim::Settled => return Ok(()),
        };
        let Some(body) = self.body(&mut conn, &outgoing).await? else {
            messages::mark_failed(&mut *conn, id, "the one-time code is no longer live")
                .await
                .transient()?;
            return Ok(());
        };
        drop(conn);
        let sent = self.call(provider, &outgoing, &body).await;
        self.record(id, provider, sent).await
    }

    /// The routed provider, or the fallback once the routed one failed often enough.
    fn provider_for(&self, to: &str, failures: i32) -> &str {
        let fallback = &self.settings.fallback_provider;
        if !fallback.is_empty() && failures >= self.settings.fallback_after as i32 {
            fallback
        } else {
            self.settings.route(to)
        }
    }

    /// The text to send; a code is drawn now and its digest stored first, so that it verifies
    /// as soon as it arrives. `None` when the code died meanwhile.
    async fn body(
        &self,
        conn: &mut sqlx::PgConnection,
        outgoing: &Outgoing,
    ) -> Result<Option<String>, JobError> {
        let Some(otp_id) = outgoing.otp_id else {
            return Ok(outgoing.body.clone());
        };
        let purpose = outgoing
            .purpose
            .strip_prefix("otp_")
            .and_then(OtpPurpose::parse)
            .ok_or_else(|| {
                JobError::Permanent(anyhow::anyhow!("`{}` carries no code", outgoing.purpose))
            })?;
        let code = codes::draw();
        let digest = codes::digest(self.otp.pepper.expose(), &outgoing.to_phone, purpose, &code);
        if !otp::set_digest(conn, otp_id, &digest).await.transient()? {
            return Ok(None);
        }
        let locale = outgoing.locale.as_deref();
        Ok(Some(text::one_time_code(
            locale.unwrap_or(&self.settings.default_locale),
            &self.settings.sender_name,
            purpose,
            &code,
            self.otp.ttl_secs.div_ceil(60),
        )))
    }

    async fn call(&self, provider: &str, outgoing: &Outgoing, body: &str) -> SendResult {
        let to = outgoing.to_phone.as_str();
        match provider {
            "twilio" => match &self.twilio {
                Some(twilio) => twilio.send(to, body).await,
                None => Err(not_configured(provider)),
            },
            "africastalking" => match &self.africastalking {
                Some(at) => at.send(to, body).await,
                None => Err(not_configured(provider)),
            },
            "log" => providers::log::send(to, &outgoing.purpose, body),
            other => Err(SendError::Rejected(format!(
                "unknown SMS provider `{other}`"
            ))),
        }
    }

    /// Records the provider's answer; only a message the provider did not take is retried.
    async fn record(&self, id: Uuid, provider: &str, sent: SendResult) -> JobResult {
        match sent {
            Ok(message_id) => {
                // One transaction: the id and any reports that overtook it land together.
                let mut tx = self.pool.begin().await.transient()?;
                messages::mark_sent(&mut tx, id, &message_id)
                    .await
                    .transient()?;
                tx.commit().await.transient()?;
                tracing::info!(sms_id = %id, %provider, %message_id, "sms sent");
                Ok(())
            }
            Err(SendError::NotTaken(err)) => {
                let error = format!("{provider}: {err:#}");
                messages::requeue(&self.pool, id, &error)
                    .await
                    .transient()?;
                Err(JobError::Transient(
                    err.context(format!("{provider} did not take sms {id}")),
                ))
            }
            Err(SendError::Unknown(err)) => {
                let error = format!("{provider} gave no answer, the SMS may have gone: {err:#}");
                tracing::warn!(sms_id = %id, %provider, %error, "sms outcome unknown: not sent again");
                messages::mark_unknown(&self.pool, id, &error)
                    .await
                    .transient()
            }
            Err(SendError::Rejected(reason)) => {
                tracing::warn!(sms_id = %id, %provider, %reason, "sms refused");
                messages::mark_failed(&self.pool, id, &reason)
                    .await
                    .transient()
            }
        }
    }
}

/// A route to a provider without credentials: nothing was sent, and retrying will not help
/// until the configuration changes (a fallback may take it).
fn not_configured(provider: &str) -> SendError {
    SendError::NotTaken(anyhow::anyhow!(
        "SMS provider `{provider}` has no credentials in this worker's configuration"
    ))
}
