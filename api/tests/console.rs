//! The web console over HTTP: what answers without a session, who may log in, the CSRF token
//! every POST needs, logging out, and the buttons (audited like the JSON API's).

use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use comptoir_domain::types::Role;
use comptoir_testkit::console::{
    ConsoleClient, PASSWORD, account_with_role, action_count, csrf_of, insert_job, job_status,
    location,
};
use comptoir_testkit::{TestApp, assert_problem, spawn_app};

const PAGES: [&str; 6] = [
    "/admin/",
    "/admin/workers",
    "/admin/work",
    "/admin/dead",
    "/admin/jobs?status=dead",
    "/admin/unknown-page",
];

/// A console client logged in as a new superadmin.
async fn admin_console(app: &TestApp) -> ConsoleClient<'_> {
    let email = account_with_role(app, Role::Superadmin).await;
    let mut console = ConsoleClient::new(app);
    let answer = console.log_in(&email, PASSWORD).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&answer), "/admin/");
    console
}

#[tokio::test]
async fn nothing_but_the_login_page_and_static_files_answers_without_a_session() {
    let app = spawn_app().await;
    let job = insert_job(&app, "email", "email.send.v1", "dead", json!({})).await;
    let (_, bearer_admin) = app.user_with_role(Role::Superadmin).await;
    let job_page = format!("/admin/jobs/{job}");
    for page in PAGES.iter().copied().chain([job_page.as_str()]) {
        let anonymous = app.get(page, None).await;
        assert_eq!(anonymous.status(), StatusCode::SEE_OTHER, "GET {page}");
        assert_eq!(location(&anonymous), "/admin/login", "GET {page}");
        // The API's bearer token is no console session.
        let bearer = app.get(page, Some(&bearer_admin)).await;
        assert_eq!(
            bearer.status(),
            StatusCode::SEE_OTHER,
            "GET {page} (bearer)"
        );
    }
    let retry = format!("/admin/jobs/{job}/retry");
    let cancel = format!("/admin/jobs/{job}/cancel");
    let mut console = ConsoleClient::new(&app);
    for action in [
        retry.as_str(),
        &cancel,
        "/admin/jobs/retry-dead",
        "/admin/logout",
    ] {
        let refused = console.post(action, &[("csrf", "x")]).await;
        assert_eq!(refused.status(), StatusCode::SEE_OTHER, "POST {action}");
        assert_eq!(location(&refused), "/admin/login");
    }
    assert_eq!(job_status(&app, job).await, "dead", "nothing was done");

    let login = console.get("/admin/login").await;
    assert_eq!(login.status(), StatusCode::OK);
    let headers = login.headers().clone();
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["cache-control"], "no-store");
    let csp = headers["content-security-policy"].to_str().expect("csp");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let html = login.text().await.expect("html");
    let stylesheet = html
        .split("href=\"")
        .find_map(|rest| {
            rest.split('"')
                .next()
                .filter(|href| href.contains("console.css"))
        })
        .expect("the stylesheet's URL")
        .to_owned();
    let css = app.get(&stylesheet, None).await;
    assert_eq!(css.status(), StatusCode::OK);
    assert!(
        css.headers()["cache-control"]
            .to_str()
            .expect("ascii")
            .contains("immutable")
    );
    assert!(
        css.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/css")
    );
    assert_eq!(app.get("/admin/static/nope.js", None).await.status(), 404);
}

#[tokio::test]
async fn only_admins_log_in_and_a_wrong_password_is_refused() {
    let app = spawn_app().await;
    for role in [Role::Client, Role::Seller] {
        let email = account_with_role(&app, role).await;
        let mut console = ConsoleClient::new(&app);
        let refused = console.log_in(&email, PASSWORD).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{role:?}");
        assert!(
            refused
                .text()
                .await
                .expect("html")
                .contains("This console is for admins"),
            "a clear refusal"
        );
        assert!(
            console.cookie("comptoir_console").is_none(),
            "no session for {role:?}"
        );
        assert_eq!(console.get("/admin/").await.status(), StatusCode::SEE_OTHER);
    }
    let email = account_with_role(&app, Role::Maintainer).await;
    let mut console = ConsoleClient::new(&app);
    let wrong = console.log_in(&email, "not the password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(
        wrong
            .text()
            .await
            .expect("html")
            .contains("the password is wrong")
    );
    assert!(console.cookie("comptoir_console").is_none());
}

#[tokio::test]
async fn an_admin_logs_in_sees_the_pages_and_logs_out() {
    let app = spawn_app().await;
    let email = account_with_role(&app, Role::Maintainer).await;
    let mut console = ConsoleClient::new(&app);
    let opened = console.log_in(&email, PASSWORD).await;
    assert_eq!(opened.status(), StatusCode::SEE_OTHER);
    let cookie = opened
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("comptoir_console="))
        .expect("a session cookie")
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/admin"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http here: {cookie}");
    let session = console.cookie("comptoir_console").expect("kept").to_owned();
    assert!(!location(&opened).contains(&session), "no token in any URL");

    sqlx::query(
        "INSERT INTO reports (id, requested_by, report_type, format, date_from, date_to, status, \
           progress, started_at) \
         SELECT $1, id, 'sales_summary', 'pdf', current_date, current_date, 'running', 40, now() \
         FROM users WHERE email = $2",
    )
    .bind(Uuid::now_v7())
    .bind(&email)
    .execute(&app.pool)
    .await
    .expect("a running report");
    let work = console.page("/admin/work").await;
    assert!(
        work.contains("<progress max=\"100\" value=\"40\">"),
        "its progress bar"
    );
    assert!(work.contains("sales_summary (pdf)"));

    let overview = console.page("/admin/").await;
    assert!(
        overview.contains("data-queue=\"email\""),
        "every queue is listed"
    );
    assert!(overview.contains("<svg"), "the chart");
    for page in &PAGES[1..5] {
        console.page(page).await;
    }
    // A refresh asks for the live part only.
    let fragment = app
        .client
        .get(format!("{}/admin/", app.address))
        .header("cookie", format!("comptoir_console={session}"))
        .header("x-console-fragment", "1")
        .send()
        .await
        .expect("fragment");
    let fragment = fragment.text().await.expect("html");
    assert!(fragment.contains("data-queue=\"email\"") && !fragment.contains("<html"));
    // Signed in, the login page sends the admin on.
    assert_eq!(location(&console.get("/admin/login").await), "/admin/");

    let csrf = csrf_of(&overview);
    let out = console.post("/admin/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&out), "/admin/login");
    assert!(
        console.cookie("comptoir_console").is_none(),
        "the cookie is cleared"
    );
    // The session ended server-side: the old cookie opens nothing.
    console.set_cookie("comptoir_console", &session);
    assert_eq!(location(&console.get("/admin/").await), "/admin/login");
}

#[tokio::test]
async fn a_console_cookie_and_an_api_refresh_token_never_stand_for_each_other() {
    let app = spawn_app().await;
    let email = account_with_role(&app, Role::Superadmin).await;
    let mut console = ConsoleClient::new(&app);
    console.log_in(&email, PASSWORD).await;
    let cookie = console
        .cookie("comptoir_console")
        .expect("a session")
        .to_owned();
    let exchanged = app
        .post("/v1/auth/refresh", None, json!({"refresh_token": cookie}))
        .await;
    assert_problem(exchanged, 401, "invalid_refresh_token").await;
    let login = json!({"email": email, "password": PASSWORD});
    let tokens: serde_json::Value = app
        .post("/v1/auth/login", None, login)
        .await
        .json()
        .await
        .expect("json");
    let mut forged = ConsoleClient::new(&app);
    forged.set_cookie(
        "comptoir_console",
        tokens["refresh_token"].as_str().expect("token"),
    );
    assert_eq!(location(&forged.get("/admin/").await), "/admin/login");
    // Neither was spent by the other's use.
    assert_eq!(console.get("/admin/").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_post_without_this_sessions_csrf_token_is_refused() {
    let app = spawn_app().await;
    let job = insert_job(&app, "email", "email.send.v1", "dead", json!({})).await;
    let mut console = admin_console(&app).await;
    let mut other = admin_console(&app).await;
    let others_token = csrf_of(&other.page("/admin/").await);
    let retry = format!("/admin/jobs/{job}/retry");
    let forged = "00".repeat(32);
    for form in [
        vec![("csrf", forged.as_str())],
        vec![("csrf", others_token.as_str())],
        vec![("csrf", "not-hex")],
        vec![],
    ] {
        let refused = console.post(&retry, &form).await;
        assert_problem(refused, 403, "csrf_token_invalid").await;
    }
    assert_eq!(job_status(&app, job).await, "dead");
    assert_eq!(action_count(&app, "job.retried", job).await, 0);

    // The login form is bound to its own cookie too.
    let mut stranger = ConsoleClient::new(&app);
    let email = account_with_role(&app, Role::Superadmin).await;
    let refused = stranger
        .post(
            "/admin/login",
            &[
                ("csrf", &others_token),
                ("email", &email),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_problem(refused, 403, "csrf_token_invalid").await;
    assert!(stranger.cookie("comptoir_console").is_none());
}

#[tokio::test]
async fn the_buttons_retry_and_cancel_jobs_and_are_action_count() {
    let app = spawn_app().await;
    let dead = insert_job(&app, "email", "email.send.v1", "dead", json!({})).await;
    let queued = insert_job(&app, "reports", "report.generate.v1", "queued", json!({})).await;
    let bulk = [
        insert_job(&app, "email", "email.send.v1", "dead", json!({})).await,
        insert_job(&app, "email", "email.send.v1", "dead", json!({})).await,
    ];
    let other_queue = insert_job(&app, "reports", "report.generate.v1", "dead", json!({})).await;
    let mut console = admin_console(&app).await;
    let csrf = csrf_of(&console.page("/admin/dead").await);

    let retried = console
        .post(
            &format!("/admin/jobs/{dead}/retry"),
            &[("csrf", &csrf), ("back", "/admin/dead")],
        )
        .await;
    assert_eq!(location(&retried), "/admin/dead?done=retried");
    assert_eq!(job_status(&app, dead).await, "queued");
    assert_eq!(action_count(&app, "job.retried", dead).await, 1);
    let again = console
        .post(&format!("/admin/jobs/{dead}/retry"), &[("csrf", &csrf)])
        .await;
    assert_eq!(
        location(&again),
        format!("/admin/jobs/{dead}?done=not_retryable")
    );
    assert!(
        console
            .page(location(&again))
            .await
            .contains("Only failed or dead jobs can be retried"),
        "the page says why"
    );

    let cancelled = console
        .post(
            &format!("/admin/jobs/{queued}/cancel"),
            &[("csrf", &csrf), ("back", "https://elsewhere.example/")],
        )
        .await;
    assert_eq!(
        location(&cancelled),
        format!("/admin/jobs/{queued}?done=cancelled"),
        "never off-site"
    );
    assert_eq!(job_status(&app, queued).await, "cancelled");
    assert_eq!(action_count(&app, "job.cancelled", queued).await, 1);

    let bulk_retried = console
        .post(
            "/admin/jobs/retry-dead",
            &[
                ("csrf", &csrf),
                ("queue", "email"),
                ("kind", ""),
                ("error_contains", "refused"),
            ],
        )
        .await;
    assert_eq!(
        location(&bulk_retried),
        "/admin/dead?done=bulk_retried&count=2"
    );
    for id in bulk {
        assert_eq!(job_status(&app, id).await, "queued");
        assert_eq!(action_count(&app, "job.retried", id).await, 1);
    }
    assert_eq!(
        job_status(&app, other_queue).await,
        "dead",
        "the filter held"
    );
    let unknown = console
        .post(
            "/admin/jobs/retry-dead",
            &[("csrf", &csrf), ("queue", "nope")],
        )
        .await;
    assert_problem(unknown, 422, "validation_failed").await;
}

#[tokio::test]
async fn a_job_page_shows_its_payload_escaped_and_its_cause_chain() {
    let app = spawn_app().await;
    let payload = json!({"to": "<script>alert(1)</script>@example.com", "n": 1});
    let job = insert_job(&app, "email", "email.send.v1", "dead", payload).await;
    let mut console = admin_console(&app).await;
    let page = console.page(&format!("/admin/jobs/{job}")).await;
    assert!(
        !page.contains("<script>alert"),
        "markup in a payload stays text"
    );
    assert!(page.contains("&lt;script&gt;alert(1)&lt;"));
    assert!(page.contains("&quot;n&quot;: 1"), "pretty JSON");
    let chain: Vec<&str> = ["transient", "smtp", "connection refused (os error 111)"].into();
    let mut rest = page.as_str();
    for cause in chain {
        let at = rest
            .find(cause)
            .unwrap_or_else(|| panic!("cause {cause} in order"));
        rest = &rest[at..];
    }
    assert!(page.contains("/retry\""), "a dead job offers retry");
    assert!(!page.contains("/cancel\""), "and no cancel");
    assert_eq!(console.get("/admin/jobs/not-a-uuid").await.status(), 404);
    let bad_filter = console.get("/admin/jobs?status=bogus").await;
    assert_problem(bad_filter, 422, "validation_failed").await;
}
