//! One-time codes end to end: the API records the send, a real worker process draws the code
//! and texts it through the sandbox's Twilio or Africa's Talking, the test reads it from the
//! sandbox's phone inbox and uses it as a user would.

mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};

use comptoir_testkit::assert_problem;
use support::rig::Rig;
use support::sms::{PASSWORD, code_in, phone, wrong};

#[tokio::test]
async fn a_registration_code_texted_through_africas_talking_verifies_the_phone() {
    let rig = Rig::start(&[("otp.cooldown_secs", json!(0))]).await;
    let phone = phone("+228");
    let session = rig.register_phone(&phone).await;
    assert_eq!(session["user"]["phone_verified"], false);

    let sent = rig.send_code(&phone, "registration").await;
    assert_eq!(sent.status(), StatusCode::ACCEPTED);
    let text = rig.nth_text(&phone, 1).await;
    assert_eq!(
        text["provider"], "africastalking",
        "+228 is routed to Africa's Talking"
    );
    let body = text["body"].as_str().expect("a body");
    assert!(
        body.starts_with("Comptoir : votre code de vérification est "),
        "{body}"
    );
    assert!(body.contains("10 min"), "{body}");

    let verified = rig
        .verify_code(&phone, "registration", &code_in(body))
        .await;
    assert_eq!(verified.status(), StatusCode::OK);
    let user: Value = verified.json().await.expect("the user");
    assert_eq!(user["phone"], phone.as_str());
    assert_eq!(user["phone_verified"], true);

    let again = rig
        .verify_code(&phone, "registration", &code_in(body))
        .await;
    assert_problem(again, 401, "invalid_code").await;

    // Africa's Talking's delivery report reached us and names the message we recorded.
    let rows = rig.wait_sms_status(&phone, "delivered").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].provider.as_deref(), Some("africastalking"));
    assert_eq!(
        rows[0].provider_message_id.as_deref(),
        text["id"].as_str(),
        "the provider's id is recorded"
    );
    assert_eq!(rows[0].body, None, "a code's text is never stored");

    // A verified phone gets no second registration code, and the answer does not say so.
    let repeat = rig.send_code(&phone, "registration").await;
    assert_eq!(repeat.status(), StatusCode::ACCEPTED);
    assert_eq!(rig.sms_rows(&phone).await.len(), 1);
}

#[tokio::test]
async fn a_login_code_texted_through_twilio_opens_a_session() {
    let rig = Rig::start(&[]).await;
    let phone = phone("+33");
    rig.register_phone(&phone).await;

    assert_eq!(rig.send_code(&phone, "login").await.status(), 202);
    let text = rig.nth_text(&phone, 1).await;
    assert_eq!(text["provider"], "twilio");
    let login = rig
        .verify_code(
            &phone,
            "login",
            &code_in(text["body"].as_str().expect("present")),
        )
        .await;
    assert_eq!(login.status(), StatusCode::OK);
    let tokens: Value = login.json().await.expect("tokens");
    let me = rig
        .app
        .get("/v1/auth/me", tokens["access_token"].as_str())
        .await;
    assert_eq!(me.status(), StatusCode::OK);
    let me: Value = me.json().await.expect("me");
    assert_eq!(me["phone"], phone.as_str());

    // Twilio's signed status callbacks (sent, then delivered) were verified and applied.
    let rows = rig.wait_sms_status(&phone, "delivered").await;
    assert_eq!(rows[0].provider_message_id.as_deref(), text["id"].as_str());
}

#[tokio::test]
async fn a_reset_code_changes_the_password_and_ends_every_session() {
    let rig = Rig::start(&[]).await;
    let phone = phone("+225");
    let session = rig.register_phone(&phone).await;

    assert_eq!(rig.send_code(&phone, "password_reset").await.status(), 202);
    let code = rig.nth_code(&phone, 1).await;
    let verified = rig.verify_code(&phone, "password_reset", &code).await;
    assert_eq!(verified.status(), StatusCode::OK);
    let reset: Value = verified.json().await.expect("a reset token");
    assert_eq!(reset["expires_in"], 900);
    let token = reset["reset_token"].as_str().expect("a token");

    let new_password = "a brand new passphrase";
    let body = json!({"reset_token": token, "new_password": new_password});
    let done = rig
        .app
        .post("/v1/auth/password/reset", None, body.clone())
        .await;
    assert_eq!(done.status(), StatusCode::NO_CONTENT);
    let reused = rig.app.post("/v1/auth/password/reset", None, body).await;
    assert_problem(reused, 401, "invalid_reset_token").await;

    let refresh = rig
        .app
        .post(
            "/v1/auth/refresh",
            None,
            json!({"refresh_token": session["refresh_token"]}),
        )
        .await;
    assert_eq!(refresh.status(), 401, "the old session is revoked");
    let login = |password: &'static str| {
        let phone = phone.clone();
        let rig = &rig;
        async move {
            rig.app
                .post(
                    "/v1/auth/login",
                    None,
                    json!({"phone": phone, "password": password}),
                )
                .await
                .status()
        }
    };
    assert_eq!(login(PASSWORD).await, 401);
    assert_eq!(login(new_password).await, 200);
}

#[tokio::test]
async fn wrong_guesses_count_across_resends_and_five_kill_the_code() {
    let rig = Rig::start(&[("otp.cooldown_secs", json!(0))]).await;
    let phone = phone("+228");
    rig.register_phone(&phone).await;

    rig.send_code(&phone, "login").await;
    let first = rig.nth_code(&phone, 1).await;
    for _ in 0..2 {
        let guess = rig.verify_code(&phone, "login", &wrong(&first)).await;
        assert_problem(guess, 401, "invalid_code").await;
    }
    rig.send_code(&phone, "login").await;
    let second = rig.nth_code(&phone, 2).await;
    if first != second {
        let replaced = rig.verify_code(&phone, "login", &first).await;
        assert_problem(replaced, 401, "invalid_code").await;
    } else {
        let guess = rig.verify_code(&phone, "login", &wrong(&first)).await;
        assert_problem(guess, 401, "invalid_code").await;
    }
    // Three failures so far, the resend kept them: two more and the code is dead.
    let fourth = rig.verify_code(&phone, "login", &wrong(&second)).await;
    assert_problem(fourth, 401, "invalid_code").await;
    let fifth = rig.verify_code(&phone, "login", &wrong(&second)).await;
    assert_problem(fifth, 401, "code_exhausted").await;
    let right = rig.verify_code(&phone, "login", &second).await;
    assert_problem(right, 401, "code_exhausted").await;

    // A dead code is not replaced until it expires: no new text goes out.
    assert_eq!(rig.send_code(&phone, "login").await.status(), 202);
    assert_eq!(rig.sms_rows(&phone).await.len(), 2);
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let rig = Rig::start(&[]).await;
    let phone = phone("+33");
    rig.register_phone(&phone).await;
    rig.send_code(&phone, "login").await;
    let code = rig.nth_code(&phone, 1).await;
    sqlx::query("UPDATE otp_codes SET expires_at = now() - interval '1 second' WHERE phone = $1")
        .bind(&phone)
        .execute(&rig.app.pool)
        .await
        .expect("aged");
    let late = rig.verify_code(&phone, "login", &code).await;
    assert_problem(late, 401, "code_expired").await;
}

#[tokio::test]
async fn codes_are_stored_as_digests_and_never_shown_to_admins() {
    let rig = Rig::start(&[]).await;
    let phone = phone("+228");
    rig.register_phone(&phone).await;
    rig.send_code(&phone, "login").await;
    let code = rig.nth_code(&phone, 1).await;

    let stored: Vec<Option<Vec<u8>>> =
        sqlx::query_scalar("SELECT code_hash FROM otp_codes WHERE phone = $1")
            .bind(&phone)
            .fetch_all(&rig.app.pool)
            .await
            .expect("codes");
    assert_eq!(stored.len(), 1);
    let digest = stored[0].as_deref().expect("a digest once texted");
    assert_eq!(digest.len(), 32, "an HMAC-SHA256");
    assert!(
        !digest.windows(6).any(|w| w == code.as_bytes()),
        "only a digest is stored"
    );

    let admin = rig.admin().await;
    let listed = rig
        .app
        .get(
            &format!("/v1/admin/sms?to={}", phone.replace('+', "%2B")),
            Some(&admin),
        )
        .await;
    assert_eq!(listed.status(), StatusCode::OK);
    let page = listed.text().await.expect("a page");
    assert!(
        !page.contains(&code),
        "the admin list never shows a code: {page}"
    );
    let page: Value = serde_json::from_str(&page).expect("json");
    assert_eq!(page["items"][0]["to"], phone.as_str());
    assert_eq!(page["items"][0]["purpose"], "otp_login");
    assert!(page["items"][0]["body"].is_null());
}

#[tokio::test]
async fn no_code_ever_reaches_the_workers_log() {
    let mut rig =
        Rig::without_worker(&[("sms.routes", json!({"+225": "log", "*": "twilio"}))]).await;
    let log_path = std::env::temp_dir().join(format!("sms-log-{}.log", uuid::Uuid::now_v7()));
    let log = std::fs::File::create(&log_path).expect("a log file");
    rig.add_worker_logging(log.into());
    let (texted, logged) = (phone("+33"), phone("+225"));
    rig.register_phone(&texted).await;
    rig.register_phone(&logged).await;
    rig.send_code(&texted, "login").await;
    rig.send_code(&logged, "login").await;
    let code = rig.nth_code(&texted, 1).await;
    rig.wait_sms_status(&logged, "sent").await;
    rig.wait_sms_status(&texted, "delivered").await;

    let log = std::fs::read_to_string(&log_path).expect("the log");
    let _ = std::fs::remove_file(&log_path);
    assert!(log.contains("sms (log provider)"), "the log was captured");
    assert!(log.contains("one-time code withheld"));
    assert!(!log.contains(&code), "a code in the log: {code}");
    assert!(!log.contains('\u{1b}'), "no colour codes in a log file");
}
