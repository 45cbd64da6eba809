//! Notifications: admins send batches (validated, one fan-out job enqueued with the batch);
//! users list their own notifications and mark them read. The fan-out itself is tested in the
//! worker's tests; here notifications are inserted with the domain function.

use serde_json::{Value, json};
use uuid::Uuid;

use comptoir_domain::notifications::{self, Channel, NewNotification};
use comptoir_domain::types::Role;
use comptoir_testkit::{TestApp, spawn_app};

async fn body(response: reqwest::Response) -> Value {
    response.json().await.expect("json body")
}

fn to_role(role: &str) -> Value {
    json!({"role": role, "channel": "email", "subject": "Market day", "body": "The market opens at 8."})
}

async fn fan_out_jobs(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM jobs WHERE kind = 'notifications.fan_out.v1'")
        .fetch_one(&app.pool)
        .await
        .expect("count")
}

/// A notification for `user`, written directly (no worker in these tests).
async fn notify(app: &TestApp, user: Uuid, body: &str) -> Uuid {
    notifications::insert(
        &app.pool,
        NewNotification {
            user_id: user,
            channel: Channel::InApp,
            subject: None,
            body,
        },
    )
    .await
    .expect("notification")
    .id
}

#[tokio::test]
async fn only_admins_send_notifications_and_get_a_batch_to_poll() {
    let app = spawn_app().await;
    let (_, client) = app.user_with_role(Role::Client).await;
    let (_, seller) = app.user_with_role(Role::Seller).await;
    for (token, status) in [(None, 401), (Some(&client), 403), (Some(&seller), 403)] {
        let refused = app
            .post(
                "/v1/notifications",
                token.map(String::as_str),
                to_role("client"),
            )
            .await;
        assert_eq!(refused.status(), status);
    }
    assert_eq!(fan_out_jobs(&app).await, 0);

    for role in [Role::Maintainer, Role::Superadmin] {
        let (_, admin) = app.user_with_role(role).await;
        let accepted = app
            .post("/v1/notifications", Some(&admin), to_role("seller"))
            .await;
        assert_eq!(accepted.status(), 202);
        let location = accepted.headers()["location"]
            .to_str()
            .expect("ascii")
            .to_owned();
        let batch = body(accepted).await;
        let id = batch["id"].as_str().expect("id").to_owned();
        assert_eq!(location, format!("/v1/notifications/batches/{id}"));
        assert_eq!(
            (&batch["status"], &batch["recipients"], &batch["channel"]),
            (&json!("queued"), &json!(0), &json!("email"))
        );
        assert_eq!(batch["role"], "seller");

        let polled = app.get(&location, Some(&admin)).await;
        assert_eq!(polled.status(), 200);
        assert_eq!(body(polled).await["id"], json!(id));
        assert_eq!(app.get(&location, Some(&client)).await.status(), 403);

        let job_id = batch["job_id"].as_str().expect("job");
        let job = body(
            app.get(&format!("/v1/admin/jobs/{job_id}"), Some(&admin))
                .await,
        )
        .await;
        assert_eq!(
            (&job["kind"], &job["status"]),
            (&json!("notifications.fan_out.v1"), &json!("queued"))
        );
        let payload: Value = sqlx::query_scalar("SELECT payload FROM jobs WHERE id = $1")
            .bind(job_id.parse::<Uuid>().expect("uuid"))
            .fetch_one(&app.pool)
            .await
            .expect("payload");
        assert_eq!(payload, json!({ "batch_id": id }));
        let log = body(
            app.get(&format!("/v1/action-logs?target_id={id}"), Some(&admin))
                .await,
        )
        .await;
        assert_eq!(log["items"][0]["action"], "notification.batch_created");
    }
    assert_eq!(fan_out_jobs(&app).await, 2, "one fan-out job per batch");
    let (_, admin) = app.user_with_role(Role::Maintainer).await;
    let unknown = format!("/v1/notifications/batches/{}", Uuid::now_v7());
    assert_eq!(app.get(&unknown, Some(&admin)).await.status(), 404);
}

#[tokio::test]
async fn invalid_notifications_name_their_fields_and_enqueue_nothing() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_role(Role::Maintainer).await;
    let (member, _) = app.user_with_role(Role::Client).await;
    let too_many: Vec<Uuid> = (0..1001).map(|_| Uuid::now_v7()).collect();
    let cases = [
        (
            json!({"role": "client", "user_ids": [member], "channel": "in_app", "body": "x"}),
            "user_ids",
        ),
        (json!({"channel": "in_app", "body": "x"}), "user_ids"),
        (
            json!({"user_ids": [], "channel": "in_app", "body": "x"}),
            "user_ids",
        ),
        (
            json!({"user_ids": too_many, "channel": "in_app", "body": "x"}),
            "user_ids",
        ),
        (
            json!({"user_ids": [member, Uuid::now_v7()], "channel": "in_app", "body": "x"}),
            "user_ids",
        ),
        (
            json!({"role": "admin", "channel": "in_app", "body": "x"}),
            "role",
        ),
        (
            json!({"role": "client", "channel": "fax", "body": "x"}),
            "channel",
        ),
        (
            json!({"role": "client", "channel": "email", "body": "x"}),
            "subject",
        ),
        (
            json!({"role": "client", "channel": "email", "subject": "Two\nlines", "body": "x"}),
            "subject",
        ),
        (
            json!({"role": "client", "channel": "sms", "subject": "", "body": "x"}),
            "subject",
        ),
        (
            json!({"role": "client", "channel": "in_app", "body": " "}),
            "body",
        ),
        (
            json!({"role": "client", "channel": "in_app", "body": "x".repeat(5001)}),
            "body",
        ),
    ];
    for (request, field) in cases {
        let refused = app
            .post("/v1/notifications", Some(&admin), request.clone())
            .await;
        assert_eq!(refused.status(), 422, "{request}");
        let problem = body(refused).await;
        assert_eq!(problem["code"], "validation_failed");
        assert!(problem["errors"][field].is_array(), "{field}: {problem}");
    }
    let unknown_field = json!({"role": "client", "channel": "in_app", "body": "x", "urgent": true});
    assert_eq!(
        app.post("/v1/notifications", Some(&admin), unknown_field)
            .await
            .status(),
        422
    );
    assert_eq!(fan_out_jobs(&app).await, 0);

    let too_long = json!({"user_ids": [member], "channel": "sms", "body": "x".repeat(1601)});
    let refused = app.post("/v1/notifications", Some(&admin), too_long).await;
    assert_eq!(refused.status(), 422, "a text is at most 1600 characters");
    let longest = json!({"user_ids": [member, member], "channel": "sms", "body": "x".repeat(1600)});
    let accepted = app.post("/v1/notifications", Some(&admin), longest).await;
    assert_eq!(accepted.status(), 202);
    assert_eq!(
        body(accepted).await["user_ids"],
        json!([member]),
        "duplicates dropped"
    );
}

#[tokio::test]
async fn users_list_their_own_notifications_and_admins_list_anyones() {
    let app = spawn_app().await;
    let (awa, awa_token) = app.user_with_role(Role::Client).await;
    let (moussa, moussa_token) = app.user_with_role(Role::Seller).await;
    let (_, admin) = app.user_with_role(Role::Maintainer).await;
    for text in ["one", "two", "three"] {
        notify(&app, awa, text).await;
    }
    let moussas = notify(&app, moussa, "for Moussa").await;

    assert_eq!(app.get("/v1/notifications", None).await.status(), 401);
    let own = body(app.get("/v1/notifications", Some(&awa_token)).await).await;
    assert_eq!(own["total"], 3);
    let items = own["items"].as_array().expect("items");
    assert!(items.iter().all(|n| n["user_id"] == json!(awa)));
    assert_eq!(items[0]["body"], "three", "newest first");
    assert_eq!(items[0]["read_at"], Value::Null);

    let second_page = body(
        app.get("/v1/notifications?page=2&per_page=2", Some(&awa_token))
            .await,
    )
    .await;
    assert_eq!(
        (
            &second_page["total"],
            &second_page["page"],
            &second_page["per_page"]
        ),
        (&json!(3), &json!(2), &json!(2))
    );
    assert_eq!(second_page["items"][0]["body"], "one");

    let self_named = app
        .get(
            &format!("/v1/notifications?user_id={awa}"),
            Some(&awa_token),
        )
        .await;
    assert_eq!(body(self_named).await["total"], 3);
    let someone_else = app
        .get(
            &format!("/v1/notifications?user_id={moussa}"),
            Some(&awa_token),
        )
        .await;
    assert_eq!(someone_else.status(), 403);

    let all = body(app.get("/v1/notifications", Some(&admin)).await).await;
    assert_eq!(all["total"], 4);
    let moussas_list = body(
        app.get(&format!("/v1/notifications?user_id={moussa}"), Some(&admin))
            .await,
    )
    .await;
    assert_eq!(moussas_list["total"], 1);
    assert_eq!(moussas_list["items"][0]["id"], json!(moussas));

    let read = app
        .patch(
            &format!("/v1/notifications/{moussas}"),
            Some(&moussa_token),
            json!({"read": true}),
        )
        .await;
    assert_eq!(read.status(), 200);
    let unread = body(
        app.get("/v1/notifications?unread=true", Some(&moussa_token))
            .await,
    )
    .await;
    assert_eq!(unread["total"], 0);
    let read_only = body(
        app.get("/v1/notifications?unread=false", Some(&admin))
            .await,
    )
    .await;
    assert_eq!(read_only["total"], 1);
    assert_eq!(
        app.get("/v1/notifications?colour=red", Some(&admin))
            .await
            .status(),
        422
    );
}

#[tokio::test]
async fn only_the_owner_marks_a_notification_read_or_unread() {
    let app = spawn_app().await;
    let (owner, owner_token) = app.user_with_role(Role::Client).await;
    let (_, other) = app.user_with_role(Role::Client).await;
    let (_, admin) = app.user_with_role(Role::Superadmin).await;
    let id = notify(&app, owner, "Your order shipped").await;
    let path = format!("/v1/notifications/{id}");

    assert_eq!(
        app.patch(&path, None, json!({"read": true})).await.status(),
        401
    );
    for token in [&other, &admin] {
        let refused = app.patch(&path, Some(token), json!({"read": true})).await;
        assert_eq!(refused.status(), 404, "no existence leak");
    }
    let read = body(
        app.patch(&path, Some(&owner_token), json!({"read": true}))
            .await,
    )
    .await;
    let read_at = read["read_at"].as_str().expect("read_at set").to_owned();
    let again = body(
        app.patch(&path, Some(&owner_token), json!({"read": true}))
            .await,
    )
    .await;
    assert_eq!(
        again["read_at"],
        json!(read_at),
        "the first read time is kept"
    );
    let unread = body(
        app.patch(&path, Some(&owner_token), json!({"read": false}))
            .await,
    )
    .await;
    assert_eq!(unread["read_at"], Value::Null);

    for bad in [
        json!({}),
        json!({"read": "yes"}),
        json!({"read": true, "body": "x"}),
    ] {
        assert_eq!(
            app.patch(&path, Some(&owner_token), bad).await.status(),
            422
        );
    }
    let missing = format!("/v1/notifications/{}", Uuid::now_v7());
    assert_eq!(
        app.patch(&missing, Some(&owner_token), json!({"read": true}))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.patch(
            "/v1/notifications/not-an-id",
            Some(&owner_token),
            json!({"read": true})
        )
        .await
        .status(),
        404
    );
}

#[tokio::test]
async fn a_replayed_notification_is_sent_once() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_role(Role::Superadmin).await;
    let payload = json!({"role": "seller", "channel": "in_app", "body": "Stock count on Friday"});
    let send = |payload: Value, key: &'static str| {
        let request = app
            .client
            .post(format!("{}/v1/notifications", app.address))
            .bearer_auth(&admin)
            .header("Idempotency-Key", key)
            .json(&payload);
        async move { request.send().await.expect("response") }
    };
    let first = send(payload.clone(), "notify-friday").await;
    assert_eq!(first.status(), 202);
    let first_location = first.headers()["location"].clone();
    let first = body(first).await;
    let replay = send(payload.clone(), "notify-friday").await;
    assert_eq!(replay.status(), 202);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.headers()["location"], first_location);
    assert_eq!(body(replay).await["id"], first["id"]);
    assert_eq!(fan_out_jobs(&app).await, 1, "one batch, one fan-out");
    let other = send(
        json!({"role": "client", "channel": "in_app", "body": "Other"}),
        "notify-friday",
    )
    .await;
    assert_eq!(other.status(), 422);
    assert_eq!(body(other).await["code"], "idempotency_key_reused");
}
