//! A sandbox on port 0 and a merchant's webhook receiver that records every request it gets.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use comptoir_sandbox::{Sandbox, Settings};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::sync::Notify;

pub const STRIPE_KEY: &str = "sk_test_comptoir";
pub const STRIPE_WHSEC: &str = "whsec_comptoir";
pub const CINETPAY_APIKEY: &str = "cp-apikey";
pub const CINETPAY_SITE_ID: &str = "445160";
pub const CINETPAY_SECRET: &str = "cp-secret";
pub const PAYGATE_TOKEN: &str = "pg-token";
pub const TWILIO_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const TWILIO_TOKEN: &str = "twilio-token";
pub const AT_USERNAME: &str = "comptoir";
pub const AT_API_KEY: &str = "at-key";

/// How long a test waits for a callback before failing.
const DEADLINE: Duration = Duration::from_secs(15);

#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    /// The value of a form field of the body.
    pub fn field(&self, name: &str) -> Option<String> {
        let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&self.body).expect("a form");
        form.into_iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

#[derive(Default)]
struct Log {
    requests: Mutex<Vec<Received>>,
    arrived: Notify,
    /// Requests still to be answered with a 500 (to exercise the sandbox's retries).
    failures_left: AtomicUsize,
}

pub struct Receiver {
    pub url: String,
    log: Arc<Log>,
}

async fn record(req: HttpRequest, body: web::Bytes, log: web::Data<Log>) -> HttpResponse {
    let received = Received {
        method: req.method().to_string(),
        path: req.path().to_owned(),
        headers: req
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_owned()))
            .collect(),
        body: body.to_vec(),
    };
    log.requests.lock().expect("log").push(received);
    log.arrived.notify_waiters();
    let fail = log
        .failures_left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if fail {
        HttpResponse::InternalServerError().finish()
    } else {
        HttpResponse::Ok().finish()
    }
}

impl Receiver {
    /// Answers the first `failures` requests with HTTP 500, then 200.
    pub fn start(failures: usize) -> Self {
        let log = Arc::new(Log::default());
        log.failures_left.store(failures, Ordering::SeqCst);
        let data = web::Data::from(log.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind receiver");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(record))
        })
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
        tokio::spawn(server);
        Self { url, log }
    }

    /// Waits until the requests to `path` satisfy `done`, and returns them.
    pub async fn wait_for(&self, path: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            // Registered before looking, so that an arrival in between still wakes us.
            let arrived = self.log.arrived.notified();
            let seen: Vec<Received> = self
                .log
                .requests
                .lock()
                .expect("log")
                .iter()
                .filter(|r| r.path == path)
                .cloned()
                .collect();
            if done(&seen) {
                return seen;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!("timed out waiting for requests to {path}; got {seen:#?}");
            }
        }
    }
}

pub struct TestSandbox {
    pub base: String,
    pub receiver: Receiver,
    pub http: reqwest::Client,
}

/// A sandbox whose callbacks go to a fresh receiver (Stripe to `/stripe`, PayGate to
/// `/paygate`, Africa's Talking to `/africastalking`), failing its first `failures` requests.
pub fn spawn_with_failures(failures: usize) -> TestSandbox {
    let receiver = Receiver::start(failures);
    let settings = Settings {
        bind: "127.0.0.1:0".into(),
        merchant_name: "Boutique Test".into(),
        callback_retry_base: Duration::from_millis(50),
        stripe_secret_key: STRIPE_KEY.into(),
        stripe_webhook_secret: STRIPE_WHSEC.into(),
        stripe_webhook_url: Some(format!("{}/stripe", receiver.url)),
        cinetpay_api_key: CINETPAY_APIKEY.into(),
        cinetpay_site_id: CINETPAY_SITE_ID.into(),
        cinetpay_secret_key: CINETPAY_SECRET.into(),
        paygate_auth_token: PAYGATE_TOKEN.into(),
        paygate_callback_url: Some(format!("{}/paygate", receiver.url)),
        twilio_account_sid: TWILIO_SID.into(),
        twilio_auth_token: TWILIO_TOKEN.into(),
        africastalking_username: AT_USERNAME.into(),
        africastalking_api_key: AT_API_KEY.into(),
        africastalking_dlr_url: Some(format!("{}/africastalking", receiver.url)),
        ..Settings::default()
    };
    let sandbox = Sandbox::build(settings).expect("build sandbox");
    let base = format!("http://127.0.0.1:{}", sandbox.port());
    assert_eq!(sandbox.public_url(), base);
    tokio::spawn(sandbox.run_until_stopped());
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    TestSandbox {
        base,
        receiver,
        http,
    }
}

pub fn spawn() -> TestSandbox {
    spawn_with_failures(0)
}

impl TestSandbox {
    /// Starts an outage of `provider`'s API (see `POST /sandbox/faults`).
    pub async fn fault(&self, fault: serde_json::Value) -> reqwest::Response {
        self.http
            .post(format!("{}/sandbox/faults", self.base))
            .json(&fault)
            .send()
            .await
            .expect("faults")
    }

    /// The phone inbox's texts to `to` (all of them without), oldest first.
    pub async fn texts(&self, to: Option<&str>) -> Vec<serde_json::Value> {
        let mut request = self.http.get(format!("{}/sandbox/sms", self.base));
        if let Some(to) = to {
            request = request.query(&[("to", to)]);
        }
        let response = request.send().await.expect("inbox");
        assert_eq!(response.status(), 200);
        response.json().await.expect("json")
    }

    /// POSTs to a test hook and returns the resulting state.
    pub async fn hook(&self, provider: &str, id: &str, action: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/sandbox/{provider}/{id}/{action}", self.base))
            .send()
            .await
            .expect("hook")
    }
}

/// The test's own HMAC-SHA256, independent of the sandbox's.
pub fn hmac_hex(key: &str, message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("key");
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}
