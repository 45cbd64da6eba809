//! The API under test, served on a free port against its own database.

use reqwest::{Method, Response};
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use comptoir_api::Application;
use comptoir_domain::config::Settings;
use comptoir_domain::types::Role;
use comptoir_domain::{db, users};

use crate::db::test_settings;

pub struct TestApp {
    pub address: String,
    pub metrics_address: String,
    pub pool: PgPool,
    pub settings: Settings,
    pub client: reqwest::Client,
}

/// The API with the test configuration.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// The API with configuration overrides such as `("auth.rate_limit_per_minute", json!(3))`.
pub async fn spawn_app_with(overrides: &[(&str, Value)]) -> TestApp {
    TestApp::spawn(test_settings(overrides).await).await
}

/// A unique address, so tests sharing the SMTP sink can tell their mail apart.
pub fn unique_email(prefix: &str) -> String {
    format!("{prefix}-{}@example.com", Uuid::now_v7().simple())
}

impl TestApp {
    /// Serves the API for `settings` (migrating its database) until the test ends. Its
    /// `server.public_url` is its own address, as signed links and Twilio's signatures expect.
    pub async fn spawn(mut settings: Settings) -> TestApp {
        let listener = std::net::TcpListener::bind(settings.server.bind).expect("a free port");
        let port = listener.local_addr().expect("bound").port();
        let address = format!("http://127.0.0.1:{port}");
        settings.server.public_url = address.clone();
        let app = Application::build_on(settings.clone(), listener)
            .await
            .expect("the API starts");
        let metrics_address = format!("http://127.0.0.1:{}", app.metrics_port());
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address,
            metrics_address,
            pool: db::pool(&settings.database).expect("pool"),
            settings,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
        }
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("the API answers")
    }

    /// POSTs a `multipart/form-data` body.
    pub async fn upload(
        &self,
        path: &str,
        token: &str,
        form: reqwest::multipart::Form,
    ) -> Response {
        self.client
            .post(format!("{}{path}", self.address))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .expect("the API answers")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        self.request(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        self.request(Method::PATCH, path, token, Some(body)).await
    }

    /// Registers a client account; returns the 201 body (`user`, `access_token`, `refresh_token`).
    pub async fn register(&self, email: &str, password: &str) -> Value {
        let response = self
            .post(
                "/v1/auth/register",
                None,
                json!({ "email": email, "password": password, "name": "Test User" }),
            )
            .await;
        assert_eq!(response.status(), 201, "registration of {email}");
        response.json().await.expect("json")
    }

    /// A registered user given `role` directly in the database; returns (id, access token).
    pub async fn user_with_role(&self, role: Role) -> (Uuid, String) {
        let email = unique_email(role.as_str());
        let session = self.register(&email, "correct horse battery").await;
        let id: Uuid = session["user"]["id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .expect("user id");
        users::set_role(&self.pool, id, role)
            .await
            .expect("role set");
        (
            id,
            session["access_token"].as_str().expect("token").to_owned(),
        )
    }
}

/// Asserts that `response` is a problem+json answer with `status` and `code`, and returns it.
pub async fn assert_problem(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "errors are problem+json"
    );
    let problem: Value = response.json().await.expect("a JSON problem");
    assert_eq!(problem["code"], code, "{problem}");
    assert_eq!(problem["status"], status);
    problem
}
