//! Throttling of the auth routes: account lockout (also under parallel guesses) and the per-IP
//! rate limit.

use serde_json::json;

use comptoir_testkit::app::unique_email;
use comptoir_testkit::{assert_problem as problem, spawn_app, spawn_app_with};

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
async fn auth_routes_are_rate_limited_per_ip() {
    let app = spawn_app_with(&[("auth.rate_limit_per_minute", json!(3))]).await;
    let attempt = json!({"email": unique_email("rl"), "password": "whatever pass"});
    for _ in 0..3 {
        assert_eq!(
            app.post("/v1/auth/login", None, attempt.clone())
                .await
                .status(),
            401
        );
    }
    let limited = app.post("/v1/auth/login", None, attempt).await;
    assert!(
        limited.headers().contains_key("x-request-id"),
        "refusals are traced too"
    );
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry_after));
    problem(limited, 429, "rate_limited").await;
    // Other routes are not limited.
    assert_eq!(app.get("/health/live", None).await.status(), 200);
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
