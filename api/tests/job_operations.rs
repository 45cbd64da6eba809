//! /v1/admin/queues figures and the bulk retry of dead jobs, against the real ledger.

use serde_json::{Value, json};
use uuid::Uuid;

use comptoir_domain::types::Role;
use comptoir_testkit::{TestApp, assert_problem, spawn_app};

/// A job of `queue` in `status`, created `age_secs` ago; finished ones ran `run_ms`.
async fn job(app: &TestApp, queue: &str, status: &str, age_secs: i32, run_ms: i32) -> Uuid {
    let id = Uuid::now_v7();
    let finished = matches!(status, "succeeded" | "failed" | "dead");
    sqlx::query(
        "INSERT INTO jobs (id, queue, kind, payload, status, max_attempts, attempts, run_at, created_at, \
           started_at, finished_at, last_error, relayed_at) \
         VALUES ($1, $2, $2 || '.test.v1', '{}', $3, 5, 1, now() - make_interval(secs => $4), \
           now() - make_interval(secs => $4), \
           CASE WHEN $5 THEN now() - make_interval(secs => $4) END, \
           CASE WHEN $5 THEN now() - make_interval(secs => $4) + make_interval(secs => $6 / 1000.0) END, \
           CASE WHEN $3 = 'dead' THEN 'smtp: connection refused (os error 111)' END, now())",
    )
    .bind(id)
    .bind(queue)
    .bind(status)
    .bind(age_secs)
    .bind(finished)
    .bind(run_ms)
    .execute(&app.pool)
    .await
    .expect("job");
    id
}

#[tokio::test]
async fn queue_figures_count_the_ledger() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_role(Role::Maintainer).await;
    job(&app, "reports", "queued", 120, 0).await;
    job(&app, "reports", "queued", 10, 0).await;
    job(&app, "reports", "retrying", 5, 0).await;
    job(&app, "reports", "dead", 30, 100).await;
    for (age, run_ms) in [(60, 100), (90, 200), (600, 300), (1200, 400), (7200, 5000)] {
        job(&app, "reports", "succeeded", age, run_ms).await;
    }
    let (_, seller) = app.user_with_role(Role::Seller).await;
    assert_problem(
        app.get("/v1/admin/queues", Some(&seller)).await,
        403,
        "forbidden",
    )
    .await;

    let listed: Value = app
        .get("/v1/admin/queues", Some(&admin))
        .await
        .json()
        .await
        .expect("json");
    let items = listed["items"].as_array().expect("items");
    assert!(
        items.iter().any(|q| q["queue"] == "email"),
        "idle queues are listed"
    );
    let reports = items
        .iter()
        .find(|q| q["queue"] == "reports")
        .expect("reports");
    assert_eq!(
        (
            &reports["queued"],
            &reports["running"],
            &reports["retrying"],
            &reports["dead"]
        ),
        (&json!(2), &json!(0), &json!(1), &json!(1))
    );
    let oldest = reports["oldest_queued_age_secs"].as_f64().expect("age");
    assert!((119.0..200.0).contains(&oldest), "{oldest}");
    // Finished in the last 5 minutes: two successes and the dead job; in the hour: 5 (the one
    // of two hours ago is out).
    assert_eq!(reports["finished_last_5m"], 3);
    assert_eq!(reports["finished_last_60m"], 5);
    let p50 = reports["run_time_p50_ms"].as_f64().expect("p50");
    let p95 = reports["run_time_p95_ms"].as_f64().expect("p95");
    // Run times of the last 5 minutes' jobs: 100, 100 and 200 ms.
    assert!((99.0..=101.0).contains(&p50), "{p50}");
    assert!((189.0..=191.0).contains(&p95), "{p95}");
}

#[tokio::test]
async fn dead_jobs_are_retried_by_filter_and_audited() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_role(Role::Superadmin).await;
    let email_dead = [
        job(&app, "email", "dead", 30, 10).await,
        job(&app, "email", "dead", 20, 10).await,
    ];
    let report_dead = job(&app, "reports", "dead", 10, 10).await;
    let email_ok = job(&app, "email", "succeeded", 10, 10).await;

    let invalid = app
        .post(
            "/v1/admin/jobs/retry",
            Some(&admin),
            json!({"queue": "nope"}),
        )
        .await;
    assert_problem(invalid, 422, "validation_failed").await;
    let none = app
        .post(
            "/v1/admin/jobs/retry",
            Some(&admin),
            json!({"queue": "email", "error_contains": "timeout"}),
        )
        .await;
    assert_eq!(none.json::<Value>().await.expect("json")["retried"], 0);

    let retried: Value = app
        .post(
            "/v1/admin/jobs/retry",
            Some(&admin),
            json!({"queue": "email", "error_contains": "CONNECTION REFUSED"}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(retried["retried"], 2);
    let statuses: Vec<(Uuid, String, i32)> =
        sqlx::query_as("SELECT id, status, attempts FROM jobs WHERE id = ANY($1) ORDER BY id")
            .bind([email_dead[0], email_dead[1], report_dead, email_ok])
            .fetch_all(&app.pool)
            .await
            .expect("jobs");
    let status_of = |id: Uuid| statuses.iter().find(|s| s.0 == id).map(|s| s.1.as_str());
    assert_eq!(
        status_of(report_dead),
        Some("dead"),
        "another queue is left alone"
    );
    assert_eq!(status_of(email_ok), Some("succeeded"));
    for id in email_dead {
        assert!(matches!(
            status_of(id),
            Some("queued" | "running" | "succeeded" | "retrying" | "failed")
        ));
        let audited: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM action_logs WHERE action = 'job.retried' AND target_id = $1 AND meta->>'bulk' = 'true'",
        )
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .expect("count");
        assert_eq!(audited, 1);
    }
}
