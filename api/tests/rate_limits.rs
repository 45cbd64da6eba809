//! Rate limits as real traffic meets them: a frontend's server or a carrier NAT puts many users
//! behind one address, an attacker hammers one account, and several API processes must share
//! one budget. Counters live in Redis; each test has its own namespace.

use futures::{StreamExt, stream};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use comptoir_testkit::app::unique_email;
use comptoir_testkit::{TestApp, assert_problem, spawn_app_with, test_settings};

const PASSWORD: &str = "correct horse battery";

async fn login(
    app: &TestApp,
    email: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> Response {
    let mut request = app
        .client
        .post(format!("{}/v1/auth/login", app.address))
        .json(&json!({"email": email, "password": password}));
    if let Some(ip) = forwarded_for {
        request = request.header("X-Forwarded-For", ip);
    }
    request.send().await.expect("the API answers")
}

fn header(response: &Response, name: &str) -> u64 {
    response.headers()[name]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("a number")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_users_behind_one_trusted_proxy_log_in_and_an_attacker_among_them_is_throttled()
{
    let app = spawn_app_with(&[
        ("rate_limits.trusted_proxies", json!(["127.0.0.1/32"])),
        ("rate_limits.credentials_per_ip_per_minute", json!(5)),
        ("rate_limits.credentials_per_account_per_minute", json!(5)),
    ])
    .await;
    // A thousand accounts sharing one (argon2) password hash, written directly.
    let first = unique_email("nat");
    app.register(&first, PASSWORD).await;
    sqlx::query(
        "INSERT INTO users (id, email, password_hash, name) \
         SELECT gen_random_uuid(), 'nat-' || n || '-' || $2, password_hash, 'Client ' || n \
         FROM users, generate_series(1, 999) AS n WHERE email = $1",
    )
    .bind(&first)
    .bind(&first)
    .execute(&app.pool)
    .await
    .expect("users");
    let emails: Vec<String> = std::iter::once(first.clone())
        .chain((1..=999).map(|n| format!("nat-{n}-{first}")))
        .collect();
    let statuses: Vec<StatusCode> = stream::iter(emails.iter().enumerate())
        .map(|(n, email)| {
            let app = &app;
            async move {
                let client = format!("100.64.{}.{}", n / 250, n % 250 + 1);
                login(app, email, PASSWORD, Some(&client)).await.status()
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let logged_in = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(
        logged_in,
        1000,
        "{:?}",
        statuses.iter().find(|s| **s != 200)
    );

    // One of them guesses passwords for one account (its owner's login counted once): cut
    // off at the account's budget...
    let target = &emails[7];
    for _ in 0..4 {
        let guess = login(&app, target, "not the password", Some("100.64.9.9")).await;
        assert_eq!(guess.status(), 401);
    }
    let limited = login(&app, target, "not the password", Some("100.64.9.9")).await;
    assert_eq!(header(&limited, "ratelimit-limit"), 5);
    assert_eq!(header(&limited, "ratelimit-remaining"), 0);
    assert!((1..=60).contains(&header(&limited, "retry-after")));
    assert_problem(limited, 429, "rate_limited").await;
    // ...and spraying other accounts from its address, at the address's budget.
    let sprayed = stream::iter(&emails[100..110])
        .then(|email| login(&app, email, "not the password", Some("100.64.9.10")))
        .map(|response| response.status())
        .collect::<Vec<_>>()
        .await;
    assert_eq!(
        sprayed.iter().filter(|s| **s == 429).count(),
        5,
        "{sprayed:?}"
    );
    // Its neighbours behind the same proxy still log in.
    assert_eq!(
        login(&app, &emails[8], PASSWORD, Some("100.64.9.11"))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn forwarded_headers_from_an_untrusted_peer_change_nothing() {
    let app = spawn_app_with(&[("rate_limits.credentials_per_ip_per_minute", json!(3))]).await;
    for n in 0..3 {
        let spoofed = format!("198.51.100.{n}");
        let response = login(&app, &unique_email("spoof"), PASSWORD, Some(&spoofed)).await;
        assert_eq!(response.status(), 401);
    }
    let limited = login(
        &app,
        &unique_email("spoof"),
        PASSWORD,
        Some("198.51.100.99"),
    )
    .await;
    assert_problem(limited, 429, "rate_limited").await;
}

#[tokio::test]
async fn two_api_processes_share_one_budget() {
    let settings =
        test_settings(&[("rate_limits.credentials_per_account_per_minute", json!(4))]).await;
    let (one, two) = (
        TestApp::spawn(settings.clone()).await,
        TestApp::spawn(settings).await,
    );
    let email = unique_email("shared");
    one.register(&email, PASSWORD).await;
    for app in [&one, &two, &one] {
        assert_eq!(login(app, &email, PASSWORD, None).await.status(), 200);
    }
    // The registration counted too: the fifth attempt is over the budget, wherever it lands.
    assert_problem(
        login(&two, &email, PASSWORD, None).await,
        429,
        "rate_limited",
    )
    .await;
}

#[tokio::test]
async fn signed_in_calls_are_limited_per_user_not_per_address() {
    let app = spawn_app_with(&[("rate_limits.user_per_minute", json!(5))]).await;
    let busy: Value = app.register(&unique_email("busy"), PASSWORD).await;
    let calm: Value = app.register(&unique_email("calm"), PASSWORD).await;
    for _ in 0..5 {
        let me = app.get("/v1/auth/me", busy["access_token"].as_str()).await;
        assert_eq!(me.status(), 200);
    }
    let limited = app.get("/v1/auth/me", busy["access_token"].as_str()).await;
    assert_problem(limited, 429, "rate_limited").await;
    let other = app.get("/v1/auth/me", calm["access_token"].as_str()).await;
    assert_eq!(
        other.status(),
        200,
        "another user on the same address is served"
    );
}

#[tokio::test]
async fn signing_in_keeps_working_while_redis_is_down() {
    let app = spawn_app_with(&[
        ("redis.url", json!("redis://127.0.0.1:1/")),
        ("rate_limits.credentials_per_account_per_minute", json!(3)),
    ])
    .await;
    let email = unique_email("noredis");
    app.register(&email, PASSWORD).await;
    for _ in 0..2 {
        assert_eq!(login(&app, &email, PASSWORD, None).await.status(), 200);
    }
    let limited = login(&app, &email, PASSWORD, None).await;
    assert_problem(limited, 429, "rate_limited").await;
}
