//! Requests to the API while a dependency is down, each answer kept with what was expected.
//!
//! Why keep every answer rather than assert on the first: an outage has phases (sessions being
//! terminated, connections refused, the server starting up) and each may answer differently; the
//! run reports how many answers of each kind it saw, and which ones were wrong.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;

/// What a request should get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// A problem+json answer with this status and `code`.
    Problem { status: u16, code: &'static str },
    /// Any answer with this status.
    Status(u16),
}

/// One request to send.
#[derive(Debug, Clone)]
pub struct Request {
    pub name: &'static str,
    pub method: Method,
    pub path: String,
    pub token: Option<String>,
    pub body: Option<Value>,
    pub expect: Expect,
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Answer {
    pub name: &'static str,
    /// `None` when no HTTP answer came (connection error or client timeout).
    pub status: Option<u16>,
    pub content_type: String,
    pub code: Option<String>,
    pub elapsed: Duration,
    pub as_expected: bool,
}

impl Answer {
    /// A short label such as `503 service_unavailable` or `no answer`.
    pub fn label(&self) -> String {
        match (self.status, &self.code) {
            (None, _) => "no answer".to_owned(),
            (Some(status), Some(code)) => format!("{status} {code}"),
            (Some(status), None) => format!("{status} ({})", self.content_type),
        }
    }
}

pub struct Probe {
    client: reqwest::Client,
    base: String,
}

impl Probe {
    /// Probes the API at `base` (e.g. `http://127.0.0.1:1234`); a request gets `timeout` to be
    /// answered.
    pub fn new(base: &str, timeout: Duration) -> Self {
        Self {
            client: reqwest::Client::builder()
                .timeout(timeout)
                .build()
                .expect("an HTTP client"),
            base: base.to_owned(),
        }
    }

    pub async fn ask(&self, request: &Request) -> Answer {
        let mut builder = self.client.request(
            request.method.clone(),
            format!("{}{}", self.base, request.path),
        );
        if let Some(token) = &request.token {
            builder = builder.bearer_auth(token);
        }
        if let Some(body) = &request.body {
            builder = builder.json(body);
        }
        let started = Instant::now();
        let Ok(response) = builder.send().await else {
            return Answer {
                name: request.name,
                status: None,
                content_type: String::new(),
                code: None,
                elapsed: started.elapsed(),
                as_expected: false,
            };
        };
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body: Option<Value> = response.json().await.ok();
        let code = body
            .as_ref()
            .filter(|_| content_type == "application/problem+json")
            .and_then(|b| b["code"].as_str())
            .map(str::to_owned);
        let as_expected = match request.expect {
            Expect::Status(expected) => status == expected,
            Expect::Problem { status: s, code: c } => status == s && code.as_deref() == Some(c),
        };
        Answer {
            name: request.name,
            status: Some(status),
            content_type,
            code,
            elapsed: started.elapsed(),
            as_expected,
        }
    }
}

/// Answers counted by label, e.g. `{"503 service_unavailable": 40, "500 internal_error": 2}`.
pub fn tally(answers: &[Answer]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for answer in answers {
        *counts.entry(answer.label()).or_insert(0) += 1;
    }
    counts
}

/// The wrong answers, one line each per (request, label): `GET /v1/x: 500 internal_error ×3`.
pub fn wrong(answers: &[Answer]) -> Vec<String> {
    let mut counts: BTreeMap<(&str, String), usize> = BTreeMap::new();
    for answer in answers.iter().filter(|a| !a.as_expected) {
        *counts.entry((answer.name, answer.label())).or_insert(0) += 1;
    }
    counts
        .into_iter()
        .map(|((name, label), n)| format!("{name}: {label} ×{n}"))
        .collect()
}
