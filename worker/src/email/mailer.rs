//! Sends one email job exactly once per dedupe key: the delivery row is claimed before SMTP and
//! marked sent after. SMTP accepts a message only at the end of DATA, so a worker killed before
//! that has sent nothing and the re-run sends it. The one window left is a worker killed
//! between the server's "250 OK" and our record of it: the record goes through a pool of its
//! own whose connections are open before the first send, so it never waits for a connection
//! and that window stays about one round trip (a stable Message-ID covers it).

use std::time::Duration;

use anyhow::Context;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::PgPool;
use uuid::Uuid;

use comptoir_domain::config::{SmtpSecurity, SmtpSettings};
use comptoir_domain::deliveries::{self, Channel, Claim};
use comptoir_jobs::email::SendEmail;

use super::templates::render;
use crate::error::{JobError, JobResult, ResultExt};

pub struct Mailer {
    pool: PgPool,
    /// Only for recording accepted messages (see the module docs).
    record_pool: PgPool,
    /// The job lease: a delivery claimed longer ago than this by a stalled run may be retaken.
    lease: Duration,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(
        pool: PgPool,
        record_pool: PgPool,
        settings: &SmtpSettings,
        lease: Duration,
    ) -> anyhow::Result<Self> {
        let builder = match settings.security {
            SmtpSecurity::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            }
            SmtpSecurity::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
                    .tls(Tls::Required(TlsParameters::new(settings.host.clone())?))
            }
            SmtpSecurity::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
                    .tls(Tls::Wrapper(TlsParameters::new(settings.host.clone())?))
            }
        };
        let mut builder = builder
            .port(settings.port)
            .timeout(Some(Duration::from_secs(settings.timeout_secs)))
            .pool_config(PoolConfig::new().max_size(settings.pool_max_size));
        if !settings.username.is_empty() {
            builder = builder.credentials(Credentials::new(
                settings.username.clone(),
                settings.password.expose().to_owned(),
            ));
        }
        Ok(Self {
            pool,
            record_pool,
            lease,
            transport: builder.build(),
            from: settings.from.parse().context("smtp.from")?,
        })
    }

    pub async fn send(&self, job: &SendEmail) -> JobResult {
        let to: Mailbox = job.to.parse().permanent()?;
        let delivery_id = match deliveries::claim(
            &self.pool,
            &job.dedupe_key,
            Channel::Email,
            &job.to,
            self.lease,
        )
        .await
        .transient()?
        {
            Claim::AlreadySent => {
                tracing::info!(dedupe_key = %job.dedupe_key, "email already sent; nothing to do");
                return Ok(());
            }
            Claim::InProgress => {
                return Err(JobError::Transient(anyhow::anyhow!(
                    "another run is sending this email"
                )));
            }
            Claim::Send { delivery_id } => delivery_id,
        };
        let rendered = render(&job.message).permanent()?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(rendered.subject)
            .message_id(Some(format!("<{delivery_id}@comptoir>")))
            .multipart(MultiPart::alternative_plain_html(
                rendered.text,
                rendered.html,
            ))
            .permanent()?;
        match self.transport.send(message).await {
            Ok(reply) => {
                let reply = format!(
                    "{} {}",
                    reply.code(),
                    reply.message().collect::<Vec<_>>().join(" ")
                );
                self.record_sent(delivery_id, &reply).await?;
                tracing::info!(%delivery_id, "email sent");
                Ok(())
            }
            Err(err) => {
                let permanent = err.is_permanent();
                let error = anyhow::Error::new(err).context("SMTP send");
                deliveries::mark_unsent(&self.pool, delivery_id, &format!("{error:#}"))
                    .await
                    .transient()?;
                Err(if permanent {
                    JobError::Permanent(error)
                } else {
                    JobError::Transient(error)
                })
            }
        }
    }

    /// The server accepted the message: recording it must not fail, since a job re-run after
    /// a failure here would send it again. A database outage is waited out in place, for as
    /// long as it lasts: the job's claim keeps its lease (lease recovery waits for live workers
    /// to renew after an outage), and if the claim is lost anyway the run is stopped.
    async fn record_sent(&self, delivery_id: Uuid, reply: &str) -> JobResult {
        let mut pause = Duration::from_millis(50);
        let mut warned = false;
        loop {
            match deliveries::mark_sent(&self.record_pool, delivery_id, reply).await {
                Ok(()) => return Ok(()),
                Err(err) if !warned => {
                    tracing::warn!(%delivery_id, error = %err, "recording a sent email failed; retrying until the database answers");
                    warned = true;
                }
                Err(_) => {}
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(RECORD_PAUSE_MAX);
        }
    }
}

/// Longest pause between attempts to record an accepted email.
const RECORD_PAUSE_MAX: Duration = Duration::from_secs(2);
