//! Delivery of provider callbacks to the merchant, in the background and with retries, the way
//! providers do it: the request that caused them has long been answered.

use std::time::Duration;

use crate::stripe::signature_header;

/// Attempts after the first one.
const RETRIES: u32 = 3;
/// One attempt may take this long before it counts as failed.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// One HTTP request to the merchant.
#[derive(Debug, Clone)]
pub struct Callback {
    /// Says what it is in the logs, e.g. `stripe checkout.session.completed evt_...`.
    pub label: String,
    pub url: String,
    /// `None` for a bodiless GET (CinetPay's ping).
    pub body: Option<Body>,
    pub headers: Vec<(&'static str, String)>,
    /// Stripe signs each attempt anew, with the attempt's own timestamp.
    pub stripe_secret: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Body {
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

#[derive(Clone)]
pub struct Courier {
    client: reqwest::Client,
    retry_base: Duration,
}

impl Courier {
    pub fn new(retry_base: Duration) -> reqwest::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(ATTEMPT_TIMEOUT)
            .build()?;
        Ok(Self { client, retry_base })
    }

    /// Delivers `batch` in order (CinetPay pings before it posts; Stripe's session event comes
    /// before its PaymentIntent event), in a task of its own so that a slow merchant delays only
    /// its own callbacks.
    pub fn send(&self, batch: Vec<Callback>) {
        if batch.is_empty() {
            return;
        }
        let courier = self.clone();
        tokio::spawn(async move {
            for callback in batch {
                courier.deliver(&callback).await;
            }
        });
    }

    async fn deliver(&self, callback: &Callback) {
        let (label, url) = (&callback.label, &callback.url);
        let mut delay = self.retry_base;
        for attempt in 0..=RETRIES {
            if attempt > 0 {
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            match self.attempt(callback).await {
                Ok(()) => {
                    tracing::info!(%label, %url, attempt, "callback delivered");
                    return;
                }
                Err(error) => {
                    tracing::warn!(%label, %url, attempt, %error, "callback failed");
                }
            }
        }
        tracing::error!(%label, %url, "callback abandoned after {RETRIES} retries");
    }

    async fn attempt(&self, callback: &Callback) -> Result<(), String> {
        let mut request = match &callback.body {
            None => self.client.get(&callback.url),
            Some(body) => self
                .client
                .post(&callback.url)
                .header("content-type", body.content_type)
                .body(body.bytes.clone()),
        };
        for (name, value) in &callback.headers {
            request = request.header(*name, value);
        }
        if let (Some(secret), Some(body)) = (&callback.stripe_secret, &callback.body) {
            let now = chrono::Utc::now().timestamp();
            request = request.header(
                "Stripe-Signature",
                signature_header(secret, now, &body.bytes),
            );
        }
        let response = request.send().await.map_err(|e| e.to_string())?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("answered HTTP {status}"))
        }
    }
}
