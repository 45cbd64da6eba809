//! How texts travel: delivery reports out of order and forged, an undeliverable number, a
//! provider outage falling back to the other provider, and a worker killed mid-send leaving
//! the message `unknown` instead of texting twice.

mod support;

use std::time::Duration;

use serde_json::{Value, json};

use comptoir_testkit::{assert_problem, wait_until};
use support::rig::{Rig, WAIT};
use support::sms::phone;

/// Posts an Africa's Talking delivery report to the API.
async fn africastalking_report(rig: &Rig, id: &str, status: &str) -> u16 {
    rig.app
        .client
        .post(format!(
            "{}/v1/webhooks/sms/africastalking",
            rig.app.address
        ))
        .form(&[
            ("id", id),
            ("status", status),
            ("phoneNumber", "+22890000001"),
        ])
        .send()
        .await
        .expect("the API answers")
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_late_report_never_moves_a_text_backwards_and_strangers_change_nothing() {
    let rig = Rig::start(&[]).await;
    let phone = phone("+228");
    rig.register_phone(&phone).await;
    rig.send_code(&phone, "login").await;
    let text = rig.nth_text(&phone, 1).await;
    let id = text["id"].as_str().expect("a message id");
    rig.wait_sms_status(&phone, "delivered").await;

    assert_eq!(africastalking_report(&rig, id, "Submitted").await, 200);
    assert_eq!(africastalking_report(&rig, id, "Failed").await, 200);
    assert_eq!(
        rig.sms_rows(&phone).await[0].status,
        "delivered",
        "final stays final"
    );

    assert_eq!(
        africastalking_report(&rig, "ATXid_stranger", "Success").await,
        200
    );
    let strangers: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sms_messages WHERE provider_message_id = 'ATXid_stranger'",
    )
    .fetch_one(&rig.app.pool)
    .await
    .expect("count");
    assert_eq!(strangers, 0, "a report never creates a message");
}

#[tokio::test]
async fn a_forged_twilio_report_is_refused() {
    let rig = Rig::start(&[]).await;
    let phone = phone("+33");
    rig.register_phone(&phone).await;
    rig.send_code(&phone, "login").await;
    let text = rig.nth_text(&phone, 1).await;
    rig.wait_sms_status(&phone, "delivered").await;

    let forged = rig
        .app
        .client
        .post(format!("{}/v1/webhooks/sms/twilio", rig.app.address))
        .header("X-Twilio-Signature", "bm90IGEgc2lnbmF0dXJl")
        .form(&[
            ("MessageSid", text["id"].as_str().expect("present")),
            ("MessageStatus", "undelivered"),
            ("ErrorCode", "30003"),
        ])
        .send()
        .await
        .expect("the API answers");
    assert_problem(forged, 400, "invalid_signature").await;
    assert_eq!(rig.sms_rows(&phone).await[0].status, "delivered");
}

#[tokio::test]
async fn an_undeliverable_number_is_reported_with_the_carriers_error() {
    let rig = Rig::start(&[]).await;
    // The sandbox's networks cannot reach numbers ending in 0000.
    let phone = "+33612340000".to_owned();
    rig.register_phone(&phone).await;
    rig.send_code(&phone, "login").await;
    rig.nth_text(&phone, 1).await;
    let rows = rig.wait_sms_status(&phone, "undelivered").await;
    assert_eq!(rows.len(), 1);
    let error: Option<String> =
        sqlx::query_scalar("SELECT error FROM sms_messages WHERE to_phone = $1")
            .bind(&phone)
            .fetch_one(&rig.app.pool)
            .await
            .expect("error");
    assert!(
        error.as_deref().is_some_and(|e| e.contains("30003")),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_outage_at_the_routed_provider_falls_back_to_the_other() {
    let rig = Rig::start(&[
        ("sms.fallback_provider", json!("twilio")),
        ("sms.fallback_after", json!(2)),
    ])
    .await;
    rig.outage("africastalking", 503, 10).await;
    let phone = phone("+228");
    rig.register_phone(&phone).await;
    rig.send_code(&phone, "login").await;

    let text = rig.nth_text(&phone, 1).await;
    assert_eq!(
        text["provider"], "twilio",
        "after two 503s the fallback took it"
    );
    let rows = rig.wait_sms_status(&phone, "delivered").await;
    assert_eq!(rows[0].provider.as_deref(), Some("twilio"));
    let failures: i32 =
        sqlx::query_scalar("SELECT transient_failures FROM sms_messages WHERE to_phone = $1")
            .bind(&phone)
            .fetch_one(&rig.app.pool)
            .await
            .expect("failures");
    assert_eq!(failures, 2);
    assert_eq!(rig.texts(&phone).await.len(), 1, "one text, not three");
}

#[tokio::test]
async fn a_worker_killed_during_the_provider_call_leaves_the_text_unknown_never_twice() {
    let mut rig = Rig::start(&[]).await;
    rig.stall("twilio", Duration::from_secs(20)).await;
    let phone = phone("+33");
    rig.register_phone(&phone).await;
    rig.send_code(&phone, "login").await;

    rig.wait_sms_status(&phone, "sending").await;
    rig.kill_workers();
    rig.add_worker();

    let rows = rig.wait_sms_status(&phone, "unknown").await;
    assert_eq!(rows.len(), 1);
    // The replacement worker finished the job without calling Twilio again.
    let finished = wait_until("the send job to finish", WAIT, || async {
        let status: String =
            sqlx::query_scalar("SELECT status FROM jobs WHERE kind = 'sms.send.v1'")
                .fetch_one(&rig.app.pool)
                .await
                .ok()?;
        (status == "succeeded").then_some(status)
    })
    .await;
    assert_eq!(finished, "succeeded");
    assert!(rig.texts(&phone).await.len() <= 1, "never texted twice");

    let admin = rig.admin().await;
    let listed: Value = rig
        .app
        .get("/v1/admin/sms?status=unknown", Some(&admin))
        .await
        .json()
        .await
        .expect("a page");
    assert_eq!(listed["items"][0]["to"], phone.as_str());
}

#[tokio::test]
async fn a_number_the_provider_refuses_fails_for_good_and_is_not_retried() {
    let rig = Rig::start(&[]).await;
    // Legacy accounts whose numbers are too short for E.164: Africa's Talking answers
    // InvalidPhoneNumber inside its 2xx, Twilio 21211.
    sqlx::query(
        "INSERT INTO users (id, phone, password_hash, name, phone_verified_at) \
         VALUES (gen_random_uuid(), '+228123', 'x', 'Short AT', now()), \
                (gen_random_uuid(), '+33123', 'x', 'Short Twilio', now())",
    )
    .execute(&rig.app.pool)
    .await
    .expect("users");
    let admin = rig.admin().await;
    let posted = rig
        .app
        .post(
            "/v1/notifications",
            Some(&admin),
            json!({"role": "client", "channel": "sms", "body": "Bonjour"}),
        )
        .await;
    assert_eq!(posted.status(), 202);
    for (phone, words) in [("+228123", "InvalidPhoneNumber"), ("+33123", "21211")] {
        let rows = rig.wait_sms_status(phone, "failed").await;
        assert_eq!(rows.len(), 1);
        let error: String =
            sqlx::query_scalar("SELECT error FROM sms_messages WHERE to_phone = $1")
                .bind(phone)
                .fetch_one(&rig.app.pool)
                .await
                .expect("error");
        assert!(error.contains(words), "{phone}: {error}");
    }
    let attempts: Vec<i32> = sqlx::query_scalar(
        "SELECT attempts FROM jobs WHERE kind = 'sms.send.v1' ORDER BY attempts",
    )
    .fetch_all(&rig.app.pool)
    .await
    .expect("jobs");
    assert_eq!(attempts, [1, 1], "a refusal is final: no retry");
}
