//! Health, metrics, OpenAPI, error shapes, limits and the operations CLI.

use std::process::Command;

use serde_json::{Value, json};

use comptoir_domain::types::Role;
use comptoir_testkit::app::unique_email;
use comptoir_testkit::{assert_problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn health_reports_each_dependency() {
    let app = spawn_app().await;
    assert_eq!(app.get("/health/live", None).await.status(), 200);
    let ready = app.get("/health/ready", None).await;
    assert_eq!(ready.status(), 200);
    let ready: Value = ready.json().await.expect("json");
    assert_eq!(
        ready,
        json!({"status": "ok", "postgres": "ok", "redis": "ok"})
    );

    let no_redis = spawn_app_with(&[("redis.url", json!("redis://127.0.0.1:1/"))]).await;
    let ready = no_redis.get("/health/ready", None).await;
    assert_eq!(ready.status(), 503);
    let ready: Value = ready.json().await.expect("json");
    assert_eq!(
        (ready["postgres"].as_str(), ready["redis"].as_str()),
        (Some("ok"), Some("unavailable"))
    );
}

#[tokio::test]
async fn metrics_are_served_on_their_own_listener() {
    let app = spawn_app().await;
    app.get("/health/live", None).await;
    for invented in ["PROBEMETHODA", "PROPFIND"] {
        let method = reqwest::Method::from_bytes(invented.as_bytes()).expect("a method");
        app.client
            .request(method, format!("{}/health/live", app.address))
            .send()
            .await
            .expect("an answer");
    }
    let metrics = app
        .client
        .get(format!("{}/metrics", app.metrics_address))
        .send()
        .await
        .expect("metrics");
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.expect("text");
    assert!(
        text.contains("http_requests_total{method=\"GET\",route=\"/health/live\",status=\"200\"}"),
        "{text}"
    );
    assert!(text.contains("http_request_duration_seconds"));
    assert!(text.contains("method=\"other\""), "{text}");
    assert!(
        !text.contains("PROBEMETHODA") && !text.contains("PROPFIND"),
        "invented methods fold into one label"
    );
    assert_eq!(
        app.get("/metrics", None).await.status(),
        404,
        "not on the public listener"
    );
}

#[tokio::test]
async fn openapi_describes_exactly_the_routes_served() {
    let app = spawn_app().await;
    let doc: Value = app
        .get("/v1/openapi.json", None)
        .await
        .json()
        .await
        .expect("openapi json");
    assert!(
        doc["openapi"]
            .as_str()
            .unwrap_or_default()
            .starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.len() >= 12);
    for (path, operations) in paths {
        let concrete = path.replace("{id}", &uuid::Uuid::now_v7().to_string());
        for method in operations.as_object().expect("operations").keys() {
            let method =
                reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let response = app
                .request(method.clone(), &concrete, None, Some(json!({})))
                .await;
            let status = response.status();
            let code = response
                .json::<Value>()
                .await
                .ok()
                .and_then(|b| b["code"].as_str().map(str::to_owned));
            assert_ne!(status, 405, "{method} {path}");
            assert_ne!(
                code.as_deref(),
                Some("route_not_found"),
                "{method} {path} is documented but not served"
            );
        }
    }
    let ui = app.get("/docs/", None).await;
    assert_eq!(ui.status(), 200);
    assert!(
        ui.text().await.expect("html").contains("swagger"),
        "docs UI served"
    );
}

#[tokio::test]
async fn errors_are_problem_json_with_request_ids() {
    let app = spawn_app().await;
    let missing = app.get("/v1/nothing-here", None).await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );
    assert!(missing.headers().contains_key("x-request-id"));
    let problem: Value = missing.json().await.expect("json");
    assert_eq!(problem["code"], "route_not_found");
    assert_eq!(problem["type"], "urn:comptoir:problem:route_not_found");

    let echoed = app
        .client
        .get(format!("{}/health/live", app.address))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .expect("response");
    assert_eq!(echoed.headers()["x-request-id"], "trace-me-42");
    let tricky = app
        .client
        .get(format!("{}/health/live", app.address))
        .header("x-request-id", "{\"injected\": true}")
        .send()
        .await
        .expect("response");
    let replaced = tricky.headers()["x-request-id"].to_str().expect("ascii");
    assert!(
        replaced.parse::<uuid::Uuid>().is_ok(),
        "an id with quotes or braces is replaced: {replaced}"
    );

    let post_login = |body: String| {
        app.client
            .post(format!("{}/v1/auth/login", app.address))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    for broken in ["{not json", "{\"a\":", "{\"email\": \"x\",}"] {
        let response = post_login(broken.to_owned()).await.expect("response");
        assert_problem(response, 400, "malformed_json").await;
    }
    // Well-formed JSON that is not an object: an array would fill the fields in order.
    let nested = format!("{}{}", "[".repeat(500), "]".repeat(500));
    for not_an_object in [
        r#"["a@b.test", "secret"]"#.to_owned(),
        "  42".to_owned(),
        nested,
    ] {
        let response = post_login(not_an_object).await.expect("response");
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(problem["detail"], "the body must be a JSON object");
    }
    let deep = format!("{{\"email\": {}{}}}", "[".repeat(300), "]".repeat(300));
    let response = post_login(deep).await.expect("response");
    assert!(response.status().is_client_error(), "{}", response.status());
    let wrong_shape =
        post_login(r#"{"email": 10000000000000000000000000000, "password": "x"}"#.to_owned())
            .await
            .expect("response");
    assert_problem(wrong_shape, 422, "validation_failed").await;
    let wrong_type = app
        .client
        .post(format!("{}/v1/auth/login", app.address))
        .body("email=x")
        .send()
        .await
        .expect("response");
    assert_eq!(wrong_type.status(), 415);
    let (_, admin) = app.user_with_role(Role::Superadmin).await;
    let bad_id = app.get("/v1/admin/jobs/not-a-uuid", Some(&admin)).await;
    assert_eq!(bad_id.status(), 404);
    let wrong_method = app
        .get(
            &format!("/v1/admin/jobs/{}/retry", uuid::Uuid::now_v7()),
            None,
        )
        .await;
    assert_eq!(wrong_method.status(), 405);
    assert_eq!(
        wrong_method.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(wrong_method.headers()["allow"], "POST");
    let problem: Value = wrong_method.json().await.expect("json");
    assert_eq!(problem["code"], "method_not_allowed");
    let head = app
        .client
        .head(format!("{}/v1/products", app.address))
        .send()
        .await
        .expect("response");
    assert_eq!(head.status(), 200, "HEAD is served wherever GET is");
    assert_eq!(head.headers()["content-type"], "application/json");
    assert!(head.bytes().await.expect("body").is_empty());
    let delete_shops = app
        .request(reqwest::Method::DELETE, "/v1/shops", None, None)
        .await;
    assert_eq!(delete_shops.status(), 405);
    assert_eq!(delete_shops.headers()["allow"], "GET, HEAD, POST");
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let app = spawn_app_with(&[("server.json_limit_bytes", json!(1024))]).await;
    let huge = json!({"email": unique_email("big"), "password": "x".repeat(4096), "name": "Big"});
    let response = app.post("/v1/auth/register", None, huge).await;
    assert_eq!(response.status(), 413);
    let problem: Value = response.json().await.expect("json");
    assert_eq!(problem["code"], "payload_too_large");
}

#[tokio::test]
async fn create_admin_makes_a_superadmin_who_can_log_in() {
    let app = spawn_app().await;
    let email = unique_email("root");
    let output = Command::new(env!("CARGO_BIN_EXE_comptoir-api"))
        .args(["create-admin", "--email", &email, "--name", "Root"])
        .env("COMPTOIR_ENV", "test")
        .env(
            "COMPTOIR_CONFIG_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../config"),
        )
        .env(
            "COMPTOIR__DATABASE__URL",
            app.settings.database.url.expose(),
        )
        .env("COMPTOIR_ADMIN_PASSWORD", "a long admin password")
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let login = app
        .post(
            "/v1/auth/login",
            None,
            json!({"email": email, "password": "a long admin password"}),
        )
        .await;
    assert_eq!(login.status(), 200);
    let session: Value = login.json().await.expect("json");
    assert_eq!(session["user"]["role"], "superadmin");
}

#[tokio::test]
async fn migrations_are_safe_to_run_from_several_processes_at_once() {
    let settings = comptoir_testkit::test_settings(&[]).await;
    let runs = (0..4).map(|_| {
        let settings = settings.database.clone();
        tokio::spawn(async move {
            let pool = comptoir_domain::db::pool(&settings).expect("pool");
            comptoir_domain::db::migrate(&pool).await
        })
    });
    for run in futures::future::join_all(runs).await {
        run.expect("task").expect("migrations succeed");
    }
    let pool = comptoir_domain::db::pool(&settings.database).expect("pool");
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(applied, comptoir_domain::db::MIGRATOR.iter().count() as i64);
}
