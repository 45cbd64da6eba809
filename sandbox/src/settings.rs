//! What the sandbox needs to know: where to listen, the credentials it expects from the merchant
//! and where the merchant wants its callbacks. A plain struct so that tests build it directly.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free one (see [`crate::Sandbox::port`]).
    pub bind: String,
    /// Base of the checkout URLs handed to clients; `None` uses the bound address.
    pub public_url: Option<String>,
    /// Shown on the checkout page.
    pub merchant_name: String,
    /// First delay before a failed callback is retried; doubled for each of the 3 retries.
    pub callback_retry_base: Duration,
    pub stripe_secret_key: String,
    /// The endpoint's signing secret (`whsec_...`) used in `Stripe-Signature`.
    pub stripe_webhook_secret: String,
    /// Where Stripe events are POSTed; `None` sends none.
    pub stripe_webhook_url: Option<String>,
    pub cinetpay_api_key: String,
    pub cinetpay_site_id: String,
    /// The back office "Secret Key": the HMAC key of the notifications' `x-token`.
    pub cinetpay_secret_key: String,
    pub paygate_auth_token: String,
    /// Where PayGate callbacks are POSTed (PayGate takes it from its dashboard); `None` sends none.
    pub paygate_callback_url: Option<String>,
    /// Expected as the HTTP Basic username and in the URL of Twilio's Messages API.
    pub twilio_account_sid: String,
    /// The HTTP Basic password, and the key of `X-Twilio-Signature` on status callbacks.
    pub twilio_auth_token: String,
    pub africastalking_username: String,
    /// Expected in the `apiKey` header.
    pub africastalking_api_key: String,
    /// Where Africa's Talking delivery reports are POSTed (set in its dashboard); `None` sends
    /// none.
    pub africastalking_dlr_url: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8090".into(),
            public_url: None,
            merchant_name: "Comptoir (sandbox)".into(),
            callback_retry_base: Duration::from_secs(1),
            stripe_secret_key: "sk_test_sandbox".into(),
            stripe_webhook_secret: "whsec_sandbox".into(),
            stripe_webhook_url: None,
            cinetpay_api_key: "cinetpay-sandbox-apikey".into(),
            cinetpay_site_id: "123456".into(),
            cinetpay_secret_key: "cinetpay-sandbox-secret".into(),
            paygate_auth_token: "paygate-sandbox-token".into(),
            paygate_callback_url: None,
            twilio_account_sid: "ACsandbox00000000000000000000000000".into(),
            twilio_auth_token: "twilio-sandbox-token".into(),
            africastalking_username: "sandbox".into(),
            africastalking_api_key: "africastalking-sandbox-key".into(),
            africastalking_dlr_url: None,
        }
    }
}
