//! Comptoir's provider sandbox: an HTTP server that speaks the wire formats of Stripe, CinetPay,
//! PayGate, Twilio and Africa's Talking (as written down in `shared/PROVIDERS.md`), serves a
//! checkout page where a person or a test decides the outcome, keeps every accepted text in a
//! phone inbox, and sends the providers' callbacks, signed as they sign them. It shares no code
//! with Comptoir's clients so that it can catch their mistakes.
//!
//! Endpoints:
//! - Stripe: `POST /v1/checkout/sessions`, `GET /v1/checkout/sessions/{id}`,
//!   `GET /v1/payment_intents/{id}`, `GET /v1/charges/{id}`, `POST /v1/refunds`.
//! - CinetPay: `POST /v2/payment`, `POST /v2/payment/check`.
//! - PayGate: `POST /api/v1/pay`, `POST /api/v1/status`, `POST /api/v2/status`.
//! - Twilio: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` (status callbacks to each
//!   message's `StatusCallback`, signed with `X-Twilio-Signature`).
//! - Africa's Talking: `POST /version1/messaging` (delivery reports to the DLR URL).
//! - Checkout pages: `/checkout/stripe/{cs_id}`, `/checkout/cinetpay/{payment_token}`,
//!   `/paygate/approve/{tx_reference}` (GET shows, POST `action=pay|fail|cancel` acts).
//! - Phone inbox: `GET /sandbox/sms[?to=+228…]` (JSON, newest last) and `GET /sandbox/phone`
//!   (HTML, by number). A text to a number ending in `0000` is accepted but not delivered.
//! - Test hooks: `POST /sandbox/{stripe|cinetpay|paygate}/{id}/{pay|fail|cancel}`,
//!   `GET /sandbox/health`, and `POST /sandbox/faults {provider, status?, delay_ms?, count}`
//!   (provider `stripe|cinetpay|paygate|twilio|africastalking`): the next `count` API calls to
//!   that provider wait, then answer `status` (an outage).
//!
//! The binary reads its [`Settings`] from the environment (defaults in brackets):
//! - `SANDBOX_BIND` [`127.0.0.1:8090`], `SANDBOX_PUBLIC_URL` [`http://<bound address>`],
//!   `SANDBOX_MERCHANT_NAME` [`Comptoir (sandbox)`],
//!   `SANDBOX_CALLBACK_RETRY_MS` [`1000`] (first retry delay, doubled each time, 3 retries);
//! - `SANDBOX_STRIPE_SECRET_KEY` [`sk_test_sandbox`], `SANDBOX_STRIPE_WEBHOOK_SECRET`
//!   [`whsec_sandbox`], `SANDBOX_STRIPE_WEBHOOK_URL` [unset: events are not sent];
//! - `SANDBOX_CINETPAY_API_KEY` [`cinetpay-sandbox-apikey`], `SANDBOX_CINETPAY_SITE_ID`
//!   [`123456`], `SANDBOX_CINETPAY_SECRET_KEY` [`cinetpay-sandbox-secret`] (notifications go to
//!   each payment's `notify_url`);
//! - `SANDBOX_PAYGATE_AUTH_TOKEN` [`paygate-sandbox-token`], `SANDBOX_PAYGATE_CALLBACK_URL`
//!   [unset: callbacks are not sent];
//! - `SANDBOX_TWILIO_ACCOUNT_SID` [`ACsandbox00000000000000000000000000`],
//!   `SANDBOX_TWILIO_AUTH_TOKEN` [`twilio-sandbox-token`];
//! - `SANDBOX_AFRICASTALKING_USERNAME` [`sandbox`], `SANDBOX_AFRICASTALKING_API_KEY`
//!   [`africastalking-sandbox-key`], `SANDBOX_AFRICASTALKING_DLR_URL` [unset: delivery reports
//!   are not sent].

mod actions;
mod africastalking;
mod basic_auth;
mod callbacks;
mod checkout_page;
mod cinetpay;
mod faults;
mod html;
mod ids;
mod inbox;
mod paygate;
mod phone;
mod settings;
mod signing;
mod sms;
mod startup;
mod state;
mod stripe;
mod twilio;

pub use settings::Settings;
pub use startup::Sandbox;
