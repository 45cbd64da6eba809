//! Account lockout, also under parallel guesses. The rate limits are in `rate_limits.rs`.

use serde_json::json;

use comptoir_testkit::app::unique_email;
use comptoir_testkit::{TestApp, assert_problem as problem, spawn_app, spawn_app_with};

const PASSWORD: &str = "correct horse battery";

async fn login_from(app: &TestApp, email: &str, password: &str, client: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/v1/auth/login", app.address))
        .header("X-Forwarded-For", client)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("the API answers")
}

fn retry_after(response: &reqwest::Response) -> u64 {
    response.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds")
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_guesser_out_not_the_owner_and_not_only_real_accounts() {
    let app = spawn_app_with(&[("rate_limits.trusted_proxies", json!(["127.0.0.1/32"]))]).await;
    let email = unique_email("lock");
    app.register(&email, PASSWORD).await;
    let ghost = unique_email("ghost");
    for account in [&email, &ghost] {
        for _ in 0..5 {
            let guess = login_from(&app, account, "wrong password!", "203.0.113.7").await;
            problem(guess, 401, "invalid_credentials").await;
        }
        // Locked for this address, real account or not: the answers tell nothing.
        let locked = login_from(&app, account, PASSWORD, "203.0.113.7").await;
        assert!(
            (1..=60).contains(&retry_after(&locked)),
            "{}",
            retry_after(&locked)
        );
        problem(locked, 423, "account_locked").await;
    }
    // The owner, from their own network, is not locked out.
    assert_eq!(
        login_from(&app, &email, PASSWORD, "198.51.100.20")
            .await
            .status(),
        200
    );

    // Once the lock has passed, the next one lasts twice as long.
    sqlx::query("UPDATE login_failures SET locked_until = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .expect("lock passed");
    for _ in 0..5 {
        let guess = login_from(&app, &email, "wrong password!", "203.0.113.7").await;
        problem(guess, 401, "invalid_credentials").await;
    }
    let again = login_from(&app, &email, PASSWORD, "203.0.113.7").await;
    assert!(
        (61..=120).contains(&retry_after(&again)),
        "{}",
        retry_after(&again)
    );
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
