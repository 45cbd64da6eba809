//! Erasure end to end with a real worker process. After `DELETE /v1/me`, a search of every text,
//! JSON and array column of every table (read from the schema, so a column added later is
//! searched too) finds none of the person's values; their stored files are gone; their order is
//! kept for accounting; their tokens and password stop working at once; their email and phone
//! register again. The job is idempotent and resumes after a crash between its steps.

mod support;

use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use comptoir_domain::privacy::erasure::{self, Progress};
use comptoir_domain::types::Role;
use comptoir_jobs::Producer;
use comptoir_jobs::privacy::{EraseUser, ExportPersonalData};
use comptoir_storage::{Storage, StorageError};
use comptoir_testkit::{TestApp, assert_problem, test_settings, wait_until};
use comptoir_worker::privacy::{DataExporter, Eraser};
use support::WorkerChild;
use support::privacy::{PASSWORD, Person, WAIT, export_with_status, person, shop_with_product};

async fn app() -> TestApp {
    let root = std::env::temp_dir().join(format!("comptoir-test-{}", Uuid::now_v7()));
    TestApp::spawn(test_settings(&[("storage.root", json!(root))]).await).await
}

fn storage(app: &TestApp) -> Storage {
    Storage::from_settings(&app.settings.storage).expect("storage")
}

/// Every (table, column) of the schema that can hold text: read from the catalogue, so a
/// column added by a later migration is searched without changing this test.
async fn text_columns(pool: &PgPool) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT c.table_name::text, c.column_name::text FROM information_schema.columns c \
         JOIN information_schema.tables t USING (table_schema, table_name) \
         WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' \
           AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', \
                               'ARRAY', 'inet', 'tsvector', 'USER-DEFINED') \
         ORDER BY 1, 2",
    )
    .fetch_all(pool)
    .await
    .expect("the schema")
}

/// Where in the database `value` is found (case-insensitively): "table.column" names.
async fn found_in(pool: &PgPool, columns: &[(String, String)], value: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (table, column) in columns {
        let sql = format!(
            "SELECT count(*) FROM \"{table}\" WHERE strpos(lower(\"{column}\"::text), lower($1)) > 0"
        );
        let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(value)
            .fetch_one(pool)
            .await
            .expect("search");
        if count > 0 {
            found.push(format!("{table}.{column} ({count})"));
        }
    }
    found
}

const QUEUES: &str = "reports,email,sms,maintenance,notifications";

/// No job of the queues the worker serves is left to run (the schedules also queue jobs for
/// other queues: nobody runs those here).
async fn jobs_settled(pool: &PgPool) -> bool {
    let open: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE status IN ('queued', 'running', 'retrying') \
         AND queue = ANY(string_to_array($1, ',')) AND run_at <= now()",
    )
    .bind(QUEUES)
    .fetch_one(pool)
    .await
    .expect("count");
    open == 0
}

/// Zoé's order paid and preparing (its packing slip rendered) and her data exported: returns
/// the stored files that hold her data.
async fn with_files(app: &TestApp, zoe: &Person, seller: &str) -> Vec<String> {
    let order = format!("/v1/orders/{}", zoe.order_id);
    for status in ["paid", "preparing"] {
        let moved = app
            .patch(&order, Some(seller), json!({"status": status}))
            .await;
        assert_eq!(moved.status(), 200);
    }
    let asked = app
        .post("/v1/me/data-export", Some(&zoe.token), json!({}))
        .await;
    let asked: Value = asked.json().await.expect("json");
    let path = format!("/v1/me/data-exports/{}", asked["id"].as_str().expect("id"));
    export_with_status(app, &path, &zoe.token, "succeeded").await;
    wait_until("every job to finish", WAIT, || async {
        jobs_settled(&app.pool).await.then_some(())
    })
    .await;
    let keys: Vec<String> = sqlx::query_scalar(
        "SELECT file_key FROM order_documents WHERE order_id = $1 AND file_key IS NOT NULL \
         UNION ALL SELECT file_key FROM data_exports WHERE user_id = $2",
    )
    .bind(zoe.order_id)
    .bind(zoe.id)
    .fetch_all(&app.pool)
    .await
    .expect("keys");
    assert_eq!(keys.len(), 2, "a packing slip and an export");
    keys
}

#[tokio::test]
async fn an_erasure_leaves_none_of_the_persons_values_in_any_table() {
    let app = app().await;
    let (shop, product, seller) = shop_with_product(&app).await;
    let zoe = person(&app, shop, product).await;
    let other = person(&app, shop, product).await;
    let _worker = WorkerChild::spawn(&app.settings, QUEUES);
    let keys = with_files(&app, &zoe, &seller).await;
    let columns = text_columns(&app.pool).await;
    for (what, value) in zoe.personal_values() {
        assert!(
            !found_in(&app.pool, &columns, value).await.is_empty(),
            "the set-up holds the {what}"
        );
    }

    let wrong = app
        .request(
            reqwest::Method::DELETE,
            "/v1/me",
            Some(&zoe.token),
            Some(json!({"password": "nope"})),
        )
        .await;
    assert_problem(wrong, 403, "password_incorrect").await;
    let right = json!({"password": PASSWORD});
    let erased = app
        .request(
            reqwest::Method::DELETE,
            "/v1/me",
            Some(&zoe.token),
            Some(right),
        )
        .await;
    assert_eq!(erased.status(), 202);
    // At once: the token and the password stop working.
    assert_eq!(app.get("/v1/auth/me", Some(&zoe.token)).await.status(), 401);
    let login = json!({"email": zoe.email, "password": PASSWORD});
    assert_problem(
        app.post("/v1/auth/login", None, login).await,
        401,
        "invalid_credentials",
    )
    .await;

    // A superadmin's request for the same account answers where the erasure stands.
    let (_, admin) = app.user_with_role(Role::Superadmin).await;
    let erase_path = format!("/v1/admin/users/{}/erase", zoe.id);
    wait_until("the erasure to be done", WAIT, || async {
        let view: Value = app
            .post(&erase_path, Some(&admin), json!({}))
            .await
            .json()
            .await
            .ok()?;
        (view["status"] == "done").then_some(())
    })
    .await;

    let mut leaks = Vec::new();
    for (what, value) in zoe.personal_values() {
        for place in found_in(&app.pool, &columns, value).await {
            leaks.push(format!("the {what} in {place}"));
        }
    }
    assert!(leaks.is_empty(), "left after the erasure: {leaks:?}");
    // The search does find what it looks for: the other client is untouched.
    assert!(!found_in(&app.pool, &columns, &other.email).await.is_empty());
    for key in &keys {
        let gone = storage(&app).get(key).await;
        assert!(
            matches!(gone, Err(StorageError::NotFound(_))),
            "{key} deleted"
        );
    }
    // Accounting keeps the order, without the address.
    let (total, address): (i64, Option<Value>) =
        sqlx::query_as("SELECT total_amount, shipping_address FROM orders WHERE id = $1")
            .bind(zoe.order_id)
            .fetch_one(&app.pool)
            .await
            .expect("the order is kept");
    assert_eq!((total, address), (2000, None));
    let audit: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM action_logs WHERE target_id = $1 ORDER BY created_at",
    )
    .bind(zoe.id)
    .fetch_all(&app.pool)
    .await
    .expect("audit");
    assert_eq!(audit, ["user.erasure_requested", "user.erased"]);

    // Messages to every client no longer reach the erased account.
    let hello = json!({"role": "client", "channel": "in_app", "body": "Soldes d'hiver"});
    assert_eq!(
        app.post("/v1/notifications", Some(&admin), hello)
            .await
            .status(),
        202
    );
    let count = |user: Uuid| {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM notifications WHERE user_id = $1 AND body = 'Soldes d''hiver'",
        )
        .bind(user)
        .fetch_one(&app.pool)
    };
    wait_until("the other client's message", WAIT, || async {
        (count(other.id).await.expect("count") > 0).then_some(())
    })
    .await;
    assert_eq!(count(zoe.id).await.expect("count"), 0);

    // The email and the phone are free again.
    let again =
        json!({"email": zoe.email, "phone": zoe.phone, "password": PASSWORD, "name": "Zoé"});
    assert_eq!(
        app.post("/v1/auth/register", None, again).await.status(),
        201
    );
}

#[tokio::test]
async fn an_erasure_resumes_after_a_crash_and_acts_once() {
    let app = app().await;
    let (shop, product, _) = shop_with_product(&app).await;
    let zoe = person(&app, shop, product).await;
    // The export's ZIP, written in-process (no worker runs in this test).
    let asked: Value = app
        .post("/v1/me/data-export", Some(&zoe.token), json!({}))
        .await
        .json()
        .await
        .expect("json");
    let export_id: Uuid = asked["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("id");
    let exporter = DataExporter {
        pool: app.pool.clone(),
        storage: storage(&app),
        producer: Producer::new(&app.settings),
        settings: app.settings.privacy.clone(),
        signing_secret: app.settings.reports.signing_secret.clone(),
        public_url: app.address.clone(),
    };
    exporter
        .run(&ExportPersonalData { export_id }, false)
        .await
        .expect("exported");
    let erased = app
        .request(
            reqwest::Method::DELETE,
            "/v1/me",
            Some(&zoe.token),
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(erased.status(), 202);

    // The job dies right after committing the scrub: the files are listed, still stored.
    let Progress::FilesLeft(keys) = erasure::scrub(&app.pool, zoe.id).await.expect("scrub") else {
        panic!("the scrub lists the files left");
    };
    assert_eq!(keys.len(), 1);
    assert!(storage(&app).get(&keys[0]).await.is_ok());

    // Redelivered, twice at once, then once more: the files go, the scrub is not repeated.
    let eraser = Eraser {
        pool: app.pool.clone(),
        storage: storage(&app),
    };
    let job = EraseUser { user_id: zoe.id };
    let (first, second) = tokio::join!(eraser.run(&job), eraser.run(&job));
    first.expect("first run");
    second.expect("second run");
    eraser.run(&job).await.expect("third run");
    assert!(matches!(
        storage(&app).get(&keys[0]).await,
        Err(StorageError::NotFound(_))
    ));
    assert_eq!(
        erasure::scrub(&app.pool, zoe.id).await.expect("state"),
        Progress::Done
    );
    let erased_entries: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM action_logs WHERE target_id = $1 AND action = 'user.erased'",
    )
    .bind(zoe.id)
    .fetch_one(&app.pool)
    .await
    .expect("count");
    assert_eq!(erased_entries, 1);
}

#[tokio::test]
async fn erasure_requests_are_checked() {
    let app = app().await;
    let (shop, product, seller) = shop_with_product(&app).await;
    let zoe = person(&app, shop, product).await;
    let (_, maintainer) = app.user_with_role(Role::Maintainer).await;
    let (_, superadmin) = app.user_with_role(Role::Superadmin).await;
    let delete = |token: String, body: Option<Value>| {
        let app = &app;
        async move {
            app.request(reqwest::Method::DELETE, "/v1/me", Some(&token), body)
                .await
        }
    };
    // A seller whose shop still sells closes it first.
    let open = delete(
        seller.clone(),
        Some(json!({"password": "correct horse battery"})),
    )
    .await;
    assert_problem(open, 409, "shops_open").await;
    assert_problem(
        delete(zoe.token.clone(), Some(json!({}))).await,
        422,
        "validation_failed",
    )
    .await;
    let extra = json!({"password": PASSWORD, "reason": "x"});
    assert_problem(
        delete(zoe.token.clone(), Some(extra)).await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.request(reqwest::Method::DELETE, "/v1/me", None, None)
            .await,
        401,
        "unauthorized",
    )
    .await;
    // The only superadmin stays.
    let last = delete(
        superadmin.clone(),
        Some(json!({"password": "correct horse battery"})),
    )
    .await;
    assert_problem(last, 409, "last_superadmin").await;
    // Only superadmins erase others; unknown ids are 404.
    let path = format!("/v1/admin/users/{}/erase", zoe.id);
    assert_problem(
        app.post(&path, Some(&maintainer), json!({})).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.post(&path, Some(&zoe.token), json!({})).await,
        403,
        "forbidden",
    )
    .await;
    let unknown = format!("/v1/admin/users/{}/erase", Uuid::now_v7());
    assert_problem(
        app.post(&unknown, Some(&superadmin), json!({})).await,
        404,
        "not_found",
    )
    .await;
    // Asked twice, erased once.
    let first: Value = app
        .post(&path, Some(&superadmin), json!({}))
        .await
        .json()
        .await
        .expect("json");
    let second: Value = app
        .post(&path, Some(&superadmin), json!({}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(first["source"], "admin");
    assert_eq!(first["requested_at"], second["requested_at"]);
    let jobs: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE kind = 'privacy.erase.v1'")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(jobs, 1);
}
