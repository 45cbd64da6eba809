//! Marketing consents: opt-in by default, set per channel through `PUT /v1/me/consents`, each
//! real change recorded with its time and source, and the user's own only.

use reqwest::Method;
use serde_json::{Value, json};

use comptoir_domain::types::Role;
use comptoir_testkit::{assert_problem, spawn_app};

async fn put(app: &comptoir_testkit::TestApp, token: &str, body: Value) -> reqwest::Response {
    app.request(Method::PUT, "/v1/me/consents", Some(token), Some(body))
        .await
}

async fn consents(app: &comptoir_testkit::TestApp, token: &str) -> Value {
    let response = app.get("/v1/me/consents", Some(token)).await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

#[tokio::test]
async fn consents_start_refused_and_each_change_is_recorded_with_its_source() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_role(Role::Client).await;

    let fresh = consents(&app, &token).await;
    for channel in ["marketing_email", "marketing_sms"] {
        assert_eq!(
            fresh[channel],
            json!({"granted": false, "set_at": null, "source": null})
        );
    }
    assert_eq!(fresh["history"], json!([]));

    let response = app
        .client
        .put(format!("{}/v1/me/consents", app.address))
        .bearer_auth(&token)
        .header("User-Agent", "ShopApp/2.1 (Android)")
        .json(&json!({"marketing_email": true}))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 200);
    let granted: Value = response.json().await.expect("json");
    assert_eq!(granted["marketing_email"]["granted"], true);
    assert_eq!(granted["marketing_email"]["source"], "api");
    assert!(granted["marketing_email"]["set_at"].is_string());
    assert_eq!(granted["marketing_sms"]["granted"], false, "untouched");
    assert_eq!(granted["history"].as_array().map(Vec::len), Some(1));
    assert_eq!(granted["history"][0]["channel"], "email");
    assert_eq!(granted["history"][0]["user_agent"], "ShopApp/2.1 (Android)");

    // The same choice again changes nothing; a withdrawal and an SMS grant are two changes.
    let same = put(&app, &token, json!({"marketing_email": true})).await;
    assert_eq!(same.status(), 200);
    let changed = put(
        &app,
        &token,
        json!({"marketing_email": false, "marketing_sms": true}),
    )
    .await;
    assert_eq!(changed.status(), 200);
    let now = consents(&app, &token).await;
    assert_eq!(now["marketing_email"]["granted"], false);
    assert_eq!(now["marketing_sms"]["granted"], true);
    let history: Vec<(String, bool)> = now["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|change| {
            (
                change["channel"].as_str().expect("channel").to_owned(),
                change["granted"].as_bool().expect("granted"),
            )
        })
        .collect();
    assert_eq!(history.len(), 3, "{history:?}");
    assert!(history.contains(&("email".to_owned(), true)));
    assert!(history.contains(&("email".to_owned(), false)));
    assert!(history.contains(&("sms".to_owned(), true)));

    // Another user's consents are their own.
    let (_, other) = app.user_with_role(Role::Seller).await;
    assert_eq!(
        consents(&app, &other).await["marketing_sms"]["granted"],
        false
    );
}

#[tokio::test]
async fn a_consent_update_must_name_a_channel_and_nothing_else() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_role(Role::Client).await;
    let empty = put(&app, &token, json!({})).await;
    assert_problem(empty, 422, "validation_failed").await;
    let unknown = put(&app, &token, json!({"marketing_fax": true})).await;
    assert_problem(unknown, 422, "validation_failed").await;
    let wrong_type = put(&app, &token, json!({"marketing_sms": "yes"})).await;
    assert_problem(wrong_type, 422, "validation_failed").await;
    let anonymous = app
        .request(
            Method::PUT,
            "/v1/me/consents",
            None,
            Some(json!({"marketing_sms": true})),
        )
        .await;
    assert_problem(anonymous, 401, "unauthorized").await;
    assert_eq!(consents(&app, &token).await["history"], json!([]));
}
