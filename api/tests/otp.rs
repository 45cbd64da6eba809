//! Asking for one-time codes: who gets a text (nobody the answer gives away), the countries we
//! text at all, and the per-phone and per-IP limits, against the real ledger. The worker side
//! (texts going out, codes verifying) is in the worker's `sms_codes` tests.

use reqwest::StatusCode;
use serde_json::{Value, json};

use comptoir_testkit::{TestApp, assert_problem, spawn_app_with};

fn phone(prefix: &str) -> String {
    format!("{prefix}9{:07}", rand::random_range(0..10_000_000))
}

async fn send(app: &TestApp, phone: &str, purpose: &str) -> reqwest::Response {
    app.post(
        "/v1/auth/otp/send",
        None,
        json!({"phone": phone, "purpose": purpose}),
    )
    .await
}

async fn register(app: &TestApp, phone: &str) {
    let response = app
        .post(
            "/v1/auth/register",
            None,
            json!({"phone": phone, "password": "correct horse battery", "name": "Afi"}),
        )
        .await;
    assert_eq!(response.status(), 201);
}

/// The texts recorded for `phone` and the send jobs queued for them.
async fn texts_and_jobs(app: &TestApp, phone: &str) -> (i64, i64) {
    sqlx::query_as(
        "SELECT count(*), (SELECT count(*) FROM jobs j WHERE j.kind = 'sms.send.v1' \
           AND (j.payload->>'sms_id')::uuid = ANY (array_agg(m.id))) \
         FROM sms_messages m WHERE m.to_phone = $1",
    )
    .bind(phone)
    .fetch_one(&app.pool)
    .await
    .expect("counts")
}

#[tokio::test]
async fn the_answer_is_the_same_with_or_without_an_account_and_strangers_get_no_text() {
    let app = spawn_app_with(&[]).await;
    let (member, stranger) = (phone("+228"), phone("+228"));
    register(&app, &member).await;

    for purpose in ["login", "password_reset"] {
        let known = send(&app, &member, purpose).await;
        let unknown = send(&app, &stranger, purpose).await;
        assert_eq!(known.status(), StatusCode::ACCEPTED);
        assert_eq!(unknown.status(), StatusCode::ACCEPTED);
        let (known, unknown): (Value, Value) = (
            known.json().await.expect("present"),
            unknown.json().await.expect("present"),
        );
        assert_eq!(known, unknown, "nothing tells the two apart");
        assert_eq!(known["expires_in"], 600);
    }
    assert_eq!(
        texts_and_jobs(&app, &member).await,
        (2, 2),
        "one text and one job each"
    );
    assert_eq!(texts_and_jobs(&app, &stranger).await, (0, 0));
}

#[tokio::test]
async fn numbers_outside_the_allowed_countries_are_refused() {
    let app = spawn_app_with(&[]).await;
    let premium = phone("+882");
    let refused = send(&app, &premium, "login").await;
    let problem = assert_problem(refused, 422, "phone_not_allowed").await;
    assert!(
        problem["detail"]
            .as_str()
            .expect("present")
            .contains("country")
    );

    for bad in [
        json!({"phone": "90112233", "purpose": "login"}),
        json!({"phone": "+228 90 11", "purpose": "login"}),
        json!({"phone": phone("+228"), "purpose": "everything"}),
        json!({"phone": phone("+228")}),
    ] {
        let response = app.post("/v1/auth/otp/send", None, bad.clone()).await;
        assert_eq!(response.status(), 422, "{bad}");
    }
    let wrong_shape = app
        .post(
            "/v1/auth/otp/verify",
            None,
            json!({"phone": phone("+228"), "purpose": "login", "code": "12"}),
        )
        .await;
    assert!(wrong_shape.status() == 401 || wrong_shape.status() == 422);
}

#[tokio::test]
async fn a_second_code_inside_the_cooldown_is_429_with_retry_after() {
    let app = spawn_app_with(&[("otp.cooldown_secs", json!(60))]).await;
    let member = phone("+225");
    register(&app, &member).await;
    assert_eq!(send(&app, &member, "login").await.status(), 202);
    let again = send(&app, &member, "login").await;
    let retry_after: u64 = again.headers()["retry-after"]
        .to_str()
        .expect("present")
        .parse()
        .expect("present");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_problem(again, 429, "rate_limited").await;
    // Another purpose has its own cooldown.
    assert_eq!(send(&app, &member, "password_reset").await.status(), 202);
}

#[tokio::test]
async fn the_hourly_caps_per_phone_and_per_ip_hold_whether_or_not_a_text_goes_out() {
    let app = spawn_app_with(&[
        ("otp.cooldown_secs", json!(0)),
        ("otp.max_sends_per_hour", json!(3)),
        ("otp.max_sends_per_ip_per_hour", json!(5)),
    ])
    .await;
    let target = phone("+228");
    for _ in 0..3 {
        assert_eq!(send(&app, &target, "login").await.status(), 202);
    }
    let capped = send(&app, &target, "login").await;
    let retry_after: u64 = capped.headers()["retry-after"]
        .to_str()
        .expect("present")
        .parse()
        .expect("present");
    assert!((3000..=3600).contains(&retry_after), "{retry_after}");
    assert_problem(capped, 429, "rate_limited").await;

    // Two more numbers from this client reach its hourly budget of five.
    assert_eq!(send(&app, &phone("+228"), "login").await.status(), 202);
    assert_eq!(send(&app, &phone("+228"), "login").await.status(), 202);
    let pumping = send(&app, &phone("+228"), "login").await;
    assert!(pumping.headers().contains_key("retry-after"));
    assert_problem(pumping, 429, "rate_limited").await;
}

#[tokio::test]
async fn verifying_without_a_code_and_resetting_with_a_made_up_token_are_refused() {
    let app = spawn_app_with(&[]).await;
    let nobody = app
        .post(
            "/v1/auth/otp/verify",
            None,
            json!({"phone": phone("+228"), "purpose": "login", "code": "123456"}),
        )
        .await;
    assert_problem(nobody, 401, "invalid_code").await;
    let made_up = app
        .post(
            "/v1/auth/password/reset",
            None,
            json!({"reset_token": "not-a-token", "new_password": "a long enough passphrase"}),
        )
        .await;
    assert_problem(made_up, 401, "invalid_reset_token").await;
    let weak = app
        .post(
            "/v1/auth/password/reset",
            None,
            json!({"reset_token": "not-a-token", "new_password": "short"}),
        )
        .await;
    assert_eq!(weak.status(), 422);
}
