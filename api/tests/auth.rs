//! Registration, login, lockout, refresh rotation and reuse detection, logout, bans, rate limits.

use serde_json::{Value, json};

use comptoir_domain::types::Role;
use comptoir_testkit::app::unique_email;
use comptoir_testkit::{assert_problem as problem, spawn_app};

const PASSWORD: &str = "correct horse battery";

async fn body(response: reqwest::Response) -> Value {
    response.json().await.expect("json body")
}

#[tokio::test]
async fn register_returns_the_user_and_working_tokens() {
    let app = spawn_app().await;
    let email = unique_email("reg");
    let session = app.register(&email.to_uppercase(), PASSWORD).await;
    assert_eq!(
        session["user"]["email"], email,
        "emails are stored lower-cased"
    );
    assert_eq!(session["user"]["role"], "client");
    assert_eq!(session["token_type"], "Bearer");
    assert_eq!(session["expires_in"], 900);
    assert!(session["user"].get("password_hash").is_none());

    let me = app
        .get("/v1/auth/me", session["access_token"].as_str())
        .await;
    assert_eq!(me.status(), 200);
    assert_eq!(body(me).await["id"], session["user"]["id"]);
}

#[tokio::test]
async fn registration_is_validated_and_unique() {
    let app = spawn_app().await;
    let email = unique_email("dup");
    app.register(&email, PASSWORD).await;

    let again = app
        .post(
            "/v1/auth/register",
            None,
            json!({"email": email, "password": PASSWORD, "name": "X"}),
        )
        .await;
    problem(again, 409, "email_taken").await;

    let invalid = app
        .post(
            "/v1/auth/register",
            None,
            json!({"email": "nope", "password": "short", "name": " "}),
        )
        .await;
    let invalid = problem(invalid, 422, "validation_failed").await;
    for field in ["email", "password", "name"] {
        assert!(
            invalid["errors"][field].is_array(),
            "{field} reported: {invalid}"
        );
    }
    let neither = app
        .post(
            "/v1/auth/register",
            None,
            json!({"password": PASSWORD, "name": "X"}),
        )
        .await;
    problem(neither, 422, "validation_failed").await;
    let unknown = app
        .post("/v1/auth/register", None, json!({"email": unique_email("u"), "password": PASSWORD, "name": "X", "role": "superadmin"}))
        .await;
    let unknown = problem(unknown, 422, "validation_failed").await;
    assert!(
        unknown["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("unknown field"),
        "{unknown}"
    );
}

#[tokio::test]
async fn phone_accounts_register_and_log_in() {
    let app = spawn_app().await;
    let phone = format!("+22177{:07}", rand_digits());
    let created = app
        .post(
            "/v1/auth/register",
            None,
            json!({"phone": phone, "password": PASSWORD, "name": "Awa"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let login = app
        .post(
            "/v1/auth/login",
            None,
            json!({"phone": phone, "password": PASSWORD}),
        )
        .await;
    assert_eq!(login.status(), 200);
    let duplicate = app
        .post(
            "/v1/auth/register",
            None,
            json!({"phone": phone, "password": PASSWORD, "name": "B"}),
        )
        .await;
    problem(duplicate, 409, "phone_taken").await;
}

fn rand_digits() -> u32 {
    (uuid::Uuid::now_v7().as_u128() % 10_000_000) as u32
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = spawn_app().await;
    let session = app.register(&unique_email("rot"), PASSWORD).await;
    let first = session["refresh_token"].as_str().expect("token");

    let rotated = app
        .post("/v1/auth/refresh", None, json!({"refresh_token": first}))
        .await;
    assert_eq!(rotated.status(), 200);
    let rotated = body(rotated).await;
    let second = rotated["refresh_token"].as_str().expect("token");
    assert_ne!(first, second);
    assert_eq!(
        app.get("/v1/auth/me", rotated["access_token"].as_str())
            .await
            .status(),
        200
    );

    // The first token comes back (stolen copy): refused, and the whole family dies with it.
    let replay = app
        .post("/v1/auth/refresh", None, json!({"refresh_token": first}))
        .await;
    problem(replay, 401, "refresh_token_reused").await;
    let legit = app
        .post("/v1/auth/refresh", None, json!({"refresh_token": second}))
        .await;
    problem(legit, 401, "invalid_refresh_token").await;
    // So do the family's access tokens, at once.
    problem(
        app.get("/v1/auth/me", rotated["access_token"].as_str())
            .await,
        401,
        "unauthorized",
    )
    .await;
    let junk = app
        .post(
            "/v1/auth/refresh",
            None,
            json!({"refresh_token": "not-a-token"}),
        )
        .await;
    problem(junk, 401, "invalid_refresh_token").await;
}

#[tokio::test]
async fn logout_ends_the_refresh_and_the_access_token() {
    let app = spawn_app().await;
    let session = app.register(&unique_email("out"), PASSWORD).await;
    let refresh = session["refresh_token"].as_str().expect("token");
    let access = session["access_token"].as_str();
    problem(
        app.post("/v1/auth/logout", None, json!({"refresh_token": refresh}))
            .await,
        401,
        "unauthorized",
    )
    .await;
    assert_eq!(
        app.post("/v1/auth/logout", access, json!({"refresh_token": refresh}))
            .await
            .status(),
        204
    );
    let after = app
        .post("/v1/auth/refresh", None, json!({"refresh_token": refresh}))
        .await;
    problem(after, 401, "invalid_refresh_token").await;
    let me = app.get("/v1/auth/me", access).await;
    let ended = problem(me, 401, "unauthorized").await;
    assert_eq!(ended["detail"], "this session has ended: log in again");
}

#[tokio::test]
async fn bad_access_tokens_are_refused() {
    let app = spawn_app().await;
    problem(app.get("/v1/auth/me", None).await, 401, "unauthorized").await;
    problem(
        app.get("/v1/auth/me", Some("garbage")).await,
        401,
        "unauthorized",
    )
    .await;
    let session = app.register(&unique_email("tamper"), PASSWORD).await;
    let token = session["access_token"].as_str().expect("token");
    let tampered = format!("{}x", &token[..token.len() - 1]);
    problem(
        app.get("/v1/auth/me", Some(&tampered)).await,
        401,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn a_banned_user_is_refused_everywhere() {
    let app = spawn_app().await;
    let email = unique_email("banned");
    let session = app.register(&email, PASSWORD).await;
    let user_id = session["user"]["id"].as_str().expect("id");
    let (_, admin) = app.user_with_role(Role::Maintainer).await;

    let ban = app
        .patch(
            &format!("/v1/users/{user_id}"),
            Some(&admin),
            json!({"banned": true}),
        )
        .await;
    assert_eq!(ban.status(), 200);
    assert_eq!(body(ban).await["banned"], true);

    problem(
        app.get("/v1/auth/me", session["access_token"].as_str())
            .await,
        403,
        "account_banned",
    )
    .await;
    let login = app
        .post(
            "/v1/auth/login",
            None,
            json!({"email": email, "password": PASSWORD}),
        )
        .await;
    problem(login, 403, "account_banned").await;
    // Banning ended every session, and the refresh says why.
    let refresh = || {
        app.post(
            "/v1/auth/refresh",
            None,
            json!({"refresh_token": session["refresh_token"]}),
        )
    };
    problem(refresh().await, 403, "account_banned").await;

    let restore = app
        .patch(
            &format!("/v1/users/{user_id}"),
            Some(&admin),
            json!({"banned": false}),
        )
        .await;
    assert_eq!(restore.status(), 200);
    problem(refresh().await, 401, "invalid_refresh_token").await;
    let login = app
        .post(
            "/v1/auth/login",
            None,
            json!({"email": email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(login.status(), 200);
}

#[tokio::test]
async fn text_postgres_cannot_store_is_a_validation_error() {
    let app = spawn_app().await;
    let nul_name = app
        .post(
            "/v1/auth/register",
            None,
            json!({"email": unique_email("nul"), "password": PASSWORD, "name": "a\u{0}b"}),
        )
        .await;
    problem(nul_name, 422, "validation_failed").await;
    let nul_email = app
        .post(
            "/v1/auth/login",
            None,
            json!({"email": "a\u{0}@example.com", "password": PASSWORD}),
        )
        .await;
    problem(nul_email, 401, "invalid_credentials").await;
    let (_, admin) = app.user_with_role(Role::Superadmin).await;
    problem(
        app.get("/v1/users?q=%00", Some(&admin)).await,
        422,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn token_answers_are_never_cached_and_401s_name_the_bearer_scheme() {
    let app = spawn_app().await;
    let email = unique_email("cache");
    app.register(&email, PASSWORD).await;
    let login = app
        .post(
            "/v1/auth/login",
            None,
            json!({"email": email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(login.status(), 200);
    assert_eq!(login.headers()["cache-control"], "no-store");

    let anonymous = app.get("/v1/auth/me", None).await;
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    problem(anonymous, 401, "unauthorized").await;
}
