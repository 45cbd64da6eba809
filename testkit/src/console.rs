//! Helpers for the web console's tests (and other admin-action tests): an admin who logs in with
//! a password, a job row in any state and what became of it, and a browser-like client that
//! keeps the console's cookies and reads CSRF tokens.

use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::{Response, StatusCode};
use serde_json::Value;
use uuid::Uuid;

use comptoir_domain::types::Role;
use comptoir_domain::users;

use crate::TestApp;
use crate::app::unique_email;

pub const PASSWORD: &str = "correct horse battery";

/// A registered account given `role`; returns its email (its password is [`PASSWORD`]).
pub async fn account_with_role(app: &TestApp, role: Role) -> String {
    let email = unique_email(role.as_str());
    let session = app.register(&email, PASSWORD).await;
    let id: Uuid = session["user"]["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("user id");
    users::set_role(&app.pool, id, role).await.expect("role");
    email
}

/// A job row in `status` (finished ones ran 50 ms, dead ones with an error that has causes).
pub async fn insert_job(
    app: &TestApp,
    queue: &str,
    kind: &str,
    status: &str,
    payload: Value,
) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO jobs (id, queue, kind, payload, status, max_attempts, attempts, started_at, \
           finished_at, last_error, relayed_at) \
         VALUES ($1, $2, $3, $4, $5, 3, CASE WHEN $5 = 'queued' THEN 0 ELSE 3 END, \
           CASE WHEN $5 IN ('dead', 'failed', 'succeeded') THEN now() - interval '50 milliseconds' END, \
           CASE WHEN $5 IN ('dead', 'failed', 'succeeded') THEN now() END, \
           CASE WHEN $5 IN ('dead', 'retrying') \
             THEN 'transient: smtp: connection refused (os error 111)' END, now())",
    )
    .bind(id)
    .bind(queue)
    .bind(kind)
    .bind(payload)
    .bind(status)
    .execute(&app.pool)
    .await
    .expect("job inserted");
    id
}

/// A job's status in the ledger.
pub async fn job_status(app: &TestApp, job: Uuid) -> String {
    sqlx::query_scalar("SELECT status FROM jobs WHERE id = $1")
        .bind(job)
        .fetch_one(&app.pool)
        .await
        .expect("status")
}

/// How many times `action` was recorded on `job` in the action log.
pub async fn action_count(app: &TestApp, action: &str, job: Uuid) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM action_logs WHERE action = $1 AND target_id = $2")
        .bind(action)
        .bind(job)
        .fetch_one(&app.pool)
        .await
        .expect("count")
}

/// The value of the first `name="csrf"` field of a page.
pub fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF field on the page")
        .to_owned()
}

/// What a browser does with the console's cookies, by hand (the client follows no redirects).
pub struct ConsoleClient<'a> {
    pub app: &'a TestApp,
    cookies: Vec<(String, String)>,
}

impl<'a> ConsoleClient<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            cookies: Vec::new(),
        }
    }

    fn keep_cookies(&mut self, response: &Response) {
        for header in response.headers().get_all(SET_COOKIE) {
            let text = header.to_str().expect("ascii cookie");
            let pair = text.split(';').next().unwrap_or_default();
            let (name, value) = pair.split_once('=').expect("name=value");
            self.cookies.retain(|(kept, _)| kept != name);
            // A removal (`Max-Age=0`) clears it, as a browser would.
            if !text.contains("Max-Age=0") {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find_map(|(kept, value)| (kept == name).then_some(value.as_str()))
    }

    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.retain(|(kept, _)| kept != name);
        self.cookies.push((name.to_owned(), value.to_owned()));
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn get(&mut self, path: &str) -> Response {
        let response = self
            .app
            .client
            .get(format!("{}{path}", self.app.address))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .expect("the console answers");
        self.keep_cookies(&response);
        response
    }

    /// The page's HTML, asserting it answered 200.
    pub async fn page(&mut self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.text().await.expect("html")
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Response {
        let response = self
            .app
            .client
            .post(format!("{}{path}", self.app.address))
            .header(COOKIE, self.cookie_header())
            .form(form)
            .send()
            .await
            .expect("the console answers");
        self.keep_cookies(&response);
        response
    }

    /// Fills in and sends the login page's form.
    pub async fn log_in(&mut self, email: &str, password: &str) -> Response {
        let login = self.page("/admin/login").await;
        let csrf = csrf_of(&login);
        self.post(
            "/admin/login",
            &[("csrf", &csrf), ("email", email), ("password", password)],
        )
        .await
    }
}

/// Where a redirect points.
pub fn location(response: &Response) -> &str {
    response
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
}
