//! Account lockout, also under parallel guesses. The rate limits are in `rate_limits.rs`.

use serde_json::json;

use comptoir_testkit::app::unique_email;
use comptoir_testkit::{assert_problem as problem, spawn_app};

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn five_wrong_passwords_lock_the_account() {
    let app = spawn_app().await;
    let email = unique_email("lock");
    app.register(&email, PASSWORD).await;
    let wrong = json!({"email": email, "password": "wrong password!"});
    for _ in 0..5 {
        problem(
            app.post("/v1/auth/login", None, wrong.clone()).await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    let locked = app
        .post(
            "/v1/auth/login",
            None,
            json!({"email": email, "password": PASSWORD}),
        )
        .await;
    let retry_after: u64 = locked.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((800..=900).contains(&retry_after), "{retry_after}");
    problem(locked, 423, "account_locked").await;
    // An unknown account answers like a wrong password.
    let ghost = app
        .post(
            "/v1/auth/login",
            None,
            json!({"email": unique_email("ghost"), "password": PASSWORD}),
        )
        .await;
    problem(ghost, 401, "invalid_credentials").await;
}

#[tokio::test]
async fn parallel_guesses_cannot_exceed_the_lockout_budget() {
    let app = spawn_app().await;
    let email = unique_email("parallel");
    app.register(&email, PASSWORD).await;
    let guesses = (0..12).map(|i| {
        app.post(
            "/v1/auth/login",
            None,
            json!({"email": email, "password": format!("guess number {i}")}),
        )
    });
    let statuses: Vec<u16> = futures::future::join_all(guesses)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert!(checked <= 5, "at most 5 passwords checked: {statuses:?}");
    assert_eq!(
        checked + statuses.iter().filter(|s| **s == 423).count(),
        12,
        "{statuses:?}"
    );
    let right = app
        .post(
            "/v1/auth/login",
            None,
            json!({"email": email, "password": PASSWORD}),
        )
        .await;
    problem(right, 423, "account_locked").await;
}
