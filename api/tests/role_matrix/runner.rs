//! Calls every operation as every caller and checks each answer: refused callers first (on
//! every operation), then the allowed ones, so that the writes of the allowed cannot change what
//! a refusal is checked against. Every failure is collected and reported at once.

use futures::StreamExt;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use comptoir_testkit::TestApp;

use crate::fixture::{CALLERS, Caller, Fixture, csv_upload};
use crate::policies::{Body, Expect, Policy};

/// Operations checked at once (each operation's callers one after another).
const IN_FLIGHT: usize = 8;
const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

/// Sent again by callers refused for who they are, instead of the valid JSON body and with a
/// malformed `Idempotency-Key`: the refusal must come first, the request never being read.
const INVALID_BODY: &str = r#"{"role_matrix_unknown_field": true}"#;

struct Answer {
    caller: Caller,
    /// Sent with [`INVALID_BODY`] and a malformed `Idempotency-Key`.
    invalid: bool,
    expect: Expect,
    status: u16,
    code: Option<String>,
    body: String,
}

async fn call(
    app: &TestApp,
    fixture: &Fixture,
    policy: &Policy,
    caller: Caller,
    invalid: bool,
) -> Answer {
    let url = format!("{}{}", app.address, policy.url(caller));
    let mut request = app.client.request(policy.method(), url);
    if let Some(token) = fixture.token(caller) {
        request = request.bearer_auth(token);
    }
    if invalid {
        request = request.header("Idempotency-Key", "k".repeat(300));
    }
    request = match &policy.body {
        Body::None => request,
        Body::Json(_) if invalid => request
            .header("content-type", "application/json")
            .body(INVALID_BODY),
        Body::Json(body) => request.json(body),
        Body::Form(form) => request
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.clone()),
        Body::Csv(shop) => request.multipart(csv_upload(*shop)),
        Body::Image => request
            .multipart(Form::new().part("image", Part::bytes(PNG.to_vec()).file_name("dot.png"))),
    };
    let response = request.send().await.expect("the API answers");
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    let code = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|problem| problem["code"].as_str().map(str::to_owned));
    Answer {
        caller,
        invalid,
        expect: policy.access.expect(caller),
        status,
        code,
        body,
    }
}

/// The problem with one answer, if any.
fn check(answer: &Answer) -> Option<String> {
    let (status, code) = (answer.status, answer.code.as_deref());
    let allowed = (200..400).contains(&status) || status == 409 || status == 422;
    let banned = status == 403 && code == Some("account_banned");
    let expected_code = |status| match status {
        401 => "unauthorized",
        403 => "forbidden",
        _ => "not_found",
    };
    let ok = match answer.expect {
        Expect::Allowed => allowed,
        Expect::Refused(refused) => status == refused && code == Some(expected_code(refused)),
        Expect::Banned => banned,
        Expect::BannedOrAllowed => banned || allowed,
        Expect::Uniform(uniform) => status == uniform,
    };
    (!ok).then(|| format!("expected {:?}, got {status} {code:?}", answer.expect))
}

/// The markers of tenant A in a body its caller may not read.
fn leaks(fixture: &Fixture, answer: &Answer) -> Vec<&'static str> {
    fixture
        .markers
        .iter()
        .filter(|m| !m.entitled.contains(&answer.caller) && answer.body.contains(&m.text))
        .map(|m| m.name)
        .collect()
}

/// One operation's calls, in order, by the callers `pick` selects.
async fn calls(
    app: &TestApp,
    fixture: &Fixture,
    policy: &Policy,
    pick: fn(Expect) -> bool,
) -> Vec<Answer> {
    let mut answers = Vec::new();
    for caller in CALLERS {
        let expect = policy.access.expect(caller);
        if !pick(expect) {
            continue;
        }
        answers.push(call(app, fixture, policy, caller, false).await);
        if matches!(expect, Expect::Refused(401 | 403) | Expect::Banned) {
            answers.push(call(app, fixture, policy, caller, true).await);
        }
    }
    answers
}

async fn phase(
    app: &TestApp,
    fixture: &Fixture,
    policies: &[Policy],
    pick: fn(Expect) -> bool,
) -> Vec<Vec<Answer>> {
    futures::stream::iter(policies)
        .map(|policy| calls(app, fixture, policy, pick))
        .buffered(IN_FLIGHT)
        .collect()
        .await
}

/// Runs the matrix; panics with every failure. Returns the number of calls made, and how many
/// of them were invalid requests.
pub async fn run(app: &TestApp, fixture: &Fixture, policies: &[Policy]) -> (usize, usize) {
    let refused = phase(app, fixture, policies, |e| e != Expect::Allowed).await;
    let allowed = phase(app, fixture, policies, |e| e == Expect::Allowed).await;
    let mut failures = Vec::new();
    let (mut count, mut invalid) = (0, 0);
    for ((policy, mut answers), more) in policies.iter().zip(refused).zip(allowed) {
        answers.extend(more);
        count += answers.len();
        invalid += answers.iter().filter(|a| a.invalid).count();
        let mut answered = answers.iter().map(|a| (a.status, a.code.as_deref()));
        let first = answered.next();
        if matches!(policy.access, crate::policies::Access::Uniform(_))
            && answered.any(|other| Some(other) != first)
        {
            failures.push(format!("{}: callers answered differently", policy.op));
        }
        for answer in &answers {
            let problem = check(answer).or_else(|| {
                let leaked = leaks(fixture, answer);
                (!leaked.is_empty()).then(|| format!("leaks {}", leaked.join(", ")))
            });
            if let Some(problem) = problem {
                let body: String = answer.body.chars().take(300).collect();
                let invalid = if answer.invalid {
                    " with an invalid request"
                } else {
                    ""
                };
                failures.push(format!(
                    "{} ({}) as {:?}{invalid}: {problem}\n    {body}",
                    policy.op,
                    policy.url(answer.caller),
                    answer.caller
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} calls broke the access rules:\n{}",
        failures.len(),
        failures.join("\n")
    );
    (count, invalid)
}
