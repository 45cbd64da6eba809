//! Notification batches end to end: an admin posts, the worker fans the batch out into one
//! notification per recipient and one email each (email channel), banned users and other roles
//! left out; running the fan-out again creates nothing twice; a marketing batch skips the users
//! who did not consent to its channel.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use uuid::Uuid;

use comptoir_domain::types::Role;
use comptoir_domain::users;
use comptoir_jobs::Producer;
use comptoir_testkit::app::unique_email;
use comptoir_testkit::mail::messages_to;
use comptoir_testkit::{TestApp, test_settings, wait_until};
use comptoir_worker::notifications::{FanOutReport, NotificationFanOut};
use support::spawn_worker;

const WAIT: Duration = Duration::from_secs(30);

/// A registered member given `role`, banned if asked: (id, email, access token).
struct Member {
    id: Uuid,
    email: String,
    token: String,
}

async fn member(app: &TestApp, role: Role, banned: bool) -> Member {
    let email = unique_email(role.as_str());
    let session = app.register(&email, "correct horse battery").await;
    let id: Uuid = session["user"]["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("id");
    users::set_role(&app.pool, id, role).await.expect("role");
    if banned {
        users::set_banned(&app.pool, id, true).await.expect("ban");
    }
    Member {
        id,
        email,
        token: session["access_token"].as_str().expect("token").to_owned(),
    }
}

/// Posts a notification as an admin; returns the batch id.
async fn post(app: &TestApp, admin: &str, request: Value) -> Uuid {
    let accepted = app.post("/v1/notifications", Some(admin), request).await;
    assert_eq!(accepted.status(), 202);
    let batch: Value = accepted.json().await.expect("json");
    batch["id"].as_str().expect("id").parse().expect("uuid")
}

async fn wait_for_batch(app: &TestApp, admin: &str, id: Uuid) -> Value {
    let path = format!("/v1/notifications/batches/{id}");
    wait_until(&format!("batch {id} to succeed"), WAIT, || async {
        let batch: Value = app
            .get(&path, Some(admin))
            .await
            .json()
            .await
            .expect("json");
        (batch["status"] == "succeeded").then_some(batch)
    })
    .await
}

async fn count(app: &TestApp, sql: &'static str, batch: Uuid) -> i64 {
    sqlx::query_scalar(sql)
        .bind(batch)
        .fetch_one(&app.pool)
        .await
        .expect("count")
}

async fn notifications_of(app: &TestApp, user: Uuid, batch: Uuid) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM notifications WHERE user_id = $1 AND batch_id = $2")
        .bind(user)
        .bind(batch)
        .fetch_one(&app.pool)
        .await
        .expect("count")
}

const EMAIL_JOBS: &str = "SELECT count(*) FROM jobs WHERE kind = 'email.send.v1' \
     AND unique_key LIKE 'notification:' || $1::text || ':%'";
const OPEN_EMAIL_JOBS: &str = "SELECT count(*) FROM jobs WHERE kind = 'email.send.v1' \
     AND unique_key LIKE 'notification:' || $1::text || ':%' AND status <> 'succeeded'";

/// Waits until the batch's `expected` email jobs all succeeded: a job succeeds once the SMTP sink
/// accepted (and stored) its message. Reading the sink is slow (it holds every test's mail), so
/// tests wait on the ledger and read the sink once per recipient.
async fn wait_for_emails(app: &TestApp, batch: Uuid, expected: i64) {
    wait_until("every notification email to be sent", WAIT, || async {
        let all = count(app, EMAIL_JOBS, batch).await;
        let open = count(app, OPEN_EMAIL_JOBS, batch).await;
        (all == expected && open == 0).then_some(())
    })
    .await;
}

fn mails_with(to: &str, subject: &str) -> usize {
    messages_to(to)
        .iter()
        .filter(|mail| mail.subject == subject)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_to_a_role_reaches_each_active_member_once() {
    let settings = test_settings(&[]).await;
    let app = TestApp::spawn(settings.clone()).await;
    let (_, admin) = app.user_with_role(Role::Maintainer).await;
    let mut sellers = Vec::new();
    for _ in 0..3 {
        sellers.push(member(&app, Role::Seller, false).await);
    }
    let banned = member(&app, Role::Seller, true).await;
    let client = member(&app, Role::Client, false).await;
    let subject = format!("Fees change {}", Uuid::now_v7().simple());
    let batch = post(
        &app,
        &admin,
        json!({"role": "seller", "channel": "email", "subject": subject,
               "body": "Fees drop to <b>2 %</b>.\n\nThe Comptoir team"}),
    )
    .await;

    let _worker = spawn_worker(&settings, &["email", "notifications"]);
    let done = wait_for_batch(&app, &admin, batch).await;
    assert_eq!(done["recipients"], 3);
    wait_for_emails(&app, batch, 3).await;
    for seller in &sellers {
        let mails: Vec<_> = messages_to(&seller.email)
            .into_iter()
            .filter(|mail| mail.subject == subject)
            .collect();
        assert_eq!(mails.len(), 1, "{} emailed once", seller.email);
        assert!(mails[0].text.contains("Fees drop to <b>2 %</b>."));
        assert!(
            mails[0]
                .html
                .contains("Fees drop to &lt;b&gt;2 %&lt;&#x2f;b&gt;."),
            "{}",
            mails[0].html
        );
        let listed: Value = app
            .get("/v1/notifications", Some(&seller.token))
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(listed["total"], 1);
        assert_eq!(
            (
                &listed["items"][0]["subject"],
                &listed["items"][0]["channel"]
            ),
            (&json!(subject), &json!("email"))
        );
    }
    for left_out in [&banned, &client] {
        assert_eq!(mails_with(&left_out.email, &subject), 0);
        assert_eq!(notifications_of(&app, left_out.id, batch).await, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn running_the_fan_out_again_creates_nothing_twice() {
    let settings = test_settings(&[]).await;
    let app = TestApp::spawn(settings.clone()).await;
    let (_, admin) = app.user_with_role(Role::Superadmin).await;
    let mut members = Vec::new();
    for _ in 0..5 {
        members.push(member(&app, Role::Client, false).await);
    }
    let banned = member(&app, Role::Client, true).await;
    let mut ids: Vec<Uuid> = members.iter().map(|m| m.id).collect();
    ids.push(banned.id);
    let subject = format!("Twice {}", Uuid::now_v7().simple());
    let batch = post(
        &app,
        &admin,
        json!({"user_ids": ids, "channel": "email", "subject": subject, "body": "Once only."}),
    )
    .await;
    // Pages of two: the five active members take three pages.
    let fan_out = || NotificationFanOut {
        pool: app.pool.clone(),
        producer: Producer::new(&settings),
        page_size: 2,
        sms: settings.sms.clone(),
    };

    let (one, two) = (fan_out(), fan_out());
    let (first, second) = tokio::join!(one.fan_out(batch), two.fan_out(batch));
    let (first, second) = (first.expect("fan-out"), second.expect("fan-out"));
    let (first, second) = (first.expect("batch"), second.expect("batch"));
    assert_eq!((first.recipients, second.recipients), (5, 5));
    assert_eq!(first.created + second.created, 5, "{first:?} {second:?}");
    assert_eq!(first.emails + second.emails, 5, "{first:?} {second:?}");
    let again = fan_out().fan_out(batch).await.expect("fan-out");
    assert_eq!(
        again,
        Some(FanOutReport {
            recipients: 5,
            ..FanOutReport::default()
        }),
        "a later run creates nothing"
    );
    assert_eq!(
        fan_out().fan_out(Uuid::now_v7()).await.expect("fan-out"),
        None
    );

    // The queued fan-out job runs a fourth time in the worker, and the emails go out.
    let _worker = spawn_worker(&settings, &["email", "notifications"]);
    let done = wait_for_batch(&app, &admin, batch).await;
    assert_eq!(done["recipients"], 5);
    wait_until("the fan-out job to succeed", WAIT, || async {
        let status: String = sqlx::query_scalar("SELECT status FROM jobs WHERE id = $1")
            .bind(
                done["job_id"]
                    .as_str()
                    .and_then(|id| id.parse::<Uuid>().ok()),
            )
            .fetch_one(&app.pool)
            .await
            .expect("job");
        (status == "succeeded").then_some(())
    })
    .await;
    wait_for_emails(&app, batch, 5).await;
    for member in &members {
        assert_eq!(notifications_of(&app, member.id, batch).await, 1);
        assert_eq!(mails_with(&member.email, &subject), 1, "{}", member.email);
    }
    assert_eq!(notifications_of(&app, banned.id, batch).await, 0);
    assert_eq!(mails_with(&banned.email, &subject), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_app_and_sms_batches_store_notifications_and_send_no_email() {
    let settings = test_settings(&[]).await;
    let app = TestApp::spawn(settings.clone()).await;
    let (_, admin) = app.user_with_role(Role::Maintainer).await;
    let seller = member(&app, Role::Seller, false).await;
    let client = member(&app, Role::Client, false).await;
    let _worker = spawn_worker(&settings, &["email", "notifications"]);

    for channel in ["in_app", "sms"] {
        let subject = format!("{channel} {}", Uuid::now_v7().simple());
        let batch = post(
            &app,
            &admin,
            json!({"role": "seller", "channel": channel, "subject": subject, "body": "Stock take on Friday."}),
        )
        .await;
        let done = wait_for_batch(&app, &admin, batch).await;
        assert_eq!(done["recipients"], 1);
        let listed: Value = app
            .get(
                &format!("/v1/notifications?batch_id={batch}"),
                Some(&seller.token),
            )
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(listed["total"], 1);
        assert_eq!(
            (&listed["items"][0]["channel"], &listed["items"][0]["body"]),
            (&json!(channel), &json!("Stock take on Friday."))
        );
        assert_eq!(notifications_of(&app, client.id, batch).await, 0);
        // Email reaches the SMTP server only through email jobs.
        assert_eq!(count(&app, EMAIL_JOBS, batch).await, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_marketing_email_reaches_only_the_users_who_consent() {
    let settings = test_settings(&[]).await;
    let app = TestApp::spawn(settings.clone()).await;
    let (_, admin) = app.user_with_role(Role::Maintainer).await;
    let consenting = member(&app, Role::Client, false).await;
    let withdrawn = member(&app, Role::Client, false).await;
    let never_asked = member(&app, Role::Client, false).await;
    for (who, body) in [
        (&consenting, json!({"marketing_email": true})),
        (&withdrawn, json!({"marketing_email": true})),
        (&withdrawn, json!({"marketing_email": false})),
        // Consent to texts is not consent to emails.
        (&never_asked, json!({"marketing_sms": true})),
    ] {
        let set = app
            .request(
                reqwest::Method::PUT,
                "/v1/me/consents",
                Some(&who.token),
                Some(body),
            )
            .await;
        assert_eq!(set.status(), 200);
    }
    let ids = [consenting.id, withdrawn.id, never_asked.id];
    let subject = format!("Sale {}", Uuid::now_v7().simple());
    let batch = post(
        &app,
        &admin,
        json!({"user_ids": ids, "channel": "email", "subject": subject, "body": "-20 % on barrels.",
               "marketing": true}),
    )
    .await;

    let _worker = spawn_worker(&settings, &["email", "notifications"]);
    let done = wait_for_batch(&app, &admin, batch).await;
    assert_eq!(
        (
            &done["marketing"],
            &done["recipients"],
            &done["skipped_without_consent"]
        ),
        (&json!(true), &json!(1), &json!(2))
    );
    wait_for_emails(&app, batch, 1).await;
    assert_eq!(mails_with(&consenting.email, &subject), 1);
    for left_out in [&withdrawn, &never_asked] {
        assert_eq!(mails_with(&left_out.email, &subject), 0);
        assert_eq!(notifications_of(&app, left_out.id, batch).await, 0);
    }

    // Run again (a redelivery): nobody is counted or mailed twice.
    let again = NotificationFanOut {
        pool: app.pool.clone(),
        producer: Producer::new(&settings),
        page_size: 2,
        sms: settings.sms.clone(),
    }
    .fan_out(batch)
    .await
    .expect("fan-out")
    .expect("batch");
    assert_eq!((again.created, again.skipped_without_consent), (0, 0));
    let path = format!("/v1/notifications/batches/{batch}");
    let after: Value = app
        .get(&path, Some(&admin))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(after["skipped_without_consent"], 2);
    assert_eq!(count(&app, EMAIL_JOBS, batch).await, 1);
}
