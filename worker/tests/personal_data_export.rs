//! Personal data exports end to end with a real worker process: the ZIP holds everything about
//! the user (profile, addresses, orders with lines, quotes, consents and their history,
//! sessions without secrets, texts without their codes, the audit trail) and nothing of anyone
//! else; it is emailed behind a signed link that only opens it; the daily budget is kept; the
//! retention purge deletes the file.

mod support;

use std::io::Read;

use reqwest::header;
use serde_json::{Value, json};

use comptoir_storage::Storage;
use comptoir_testkit::mail::messages_to;
use comptoir_testkit::{TestApp, assert_problem, test_settings, wait_until};
use comptoir_worker::reports::purge::ReportPurger;
use support::WorkerChild;
use support::privacy::{WAIT, export_with_status, person, shop_with_product};

async fn app() -> TestApp {
    let root = std::env::temp_dir().join(format!("comptoir-test-{}", uuid::Uuid::now_v7()));
    let overrides = [
        ("storage.root", json!(root)),
        ("privacy.exports_per_day", json!(2)),
    ];
    TestApp::spawn(test_settings(&overrides).await).await
}

fn unzip(bytes: &[u8]) -> Vec<(String, String)> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP");
    (0..zip.len())
        .map(|index| {
            let mut entry = zip.by_index(index).expect("entry");
            let mut text = String::new();
            entry.read_to_string(&mut text).expect("UTF-8 text");
            (entry.name().expect("a UTF-8 name").to_string(), text)
        })
        .collect()
}

fn json_file(files: &[(String, String)], name: &str) -> Value {
    let (_, text) = files
        .iter()
        .find(|(file, _)| file == name)
        .unwrap_or_else(|| panic!("{name} in the ZIP"));
    serde_json::from_str(text).unwrap_or_else(|err| panic!("{name} is JSON: {err}"))
}

#[tokio::test]
async fn an_export_holds_everything_about_the_user_and_nothing_of_others() {
    let app = app().await;
    let (shop, product, _) = shop_with_product(&app).await;
    let zoe = person(&app, shop, product).await;
    let other = person(&app, shop, product).await;
    let _worker = WorkerChild::spawn(&app.settings, "reports,email,sms");

    let asked = app
        .post("/v1/me/data-export", Some(&zoe.token), json!({}))
        .await;
    assert_eq!(asked.status(), 202);
    let location = asked.headers()[header::LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    let view = export_with_status(&app, &location, &zoe.token, "succeeded").await;
    assert!(
        view["download_url"]
            .as_str()
            .is_some_and(|url| url.contains("token="))
    );
    // Nobody else sees it.
    let stranger = app.get(&location, Some(&other.token)).await;
    assert_problem(stranger, 404, "not_found").await;

    // The email carries the signed link; it opens the ZIP with no bearer token.
    let text = wait_until("the export email", WAIT, || async {
        messages_to(&zoe.email)
            .into_iter()
            .find(|mail| mail.subject.contains("personal data"))
            .map(|mail| mail.text)
    })
    .await;
    let url = text
        .split_whitespace()
        .find(|word| word.contains("/download?token="))
        .expect("a link in the email");
    let download = app.client.get(url).send().await.expect("download");
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()[header::CONTENT_TYPE], "application/zip");
    let bytes = download.bytes().await.expect("body");
    let files = unzip(&bytes);

    let readme = &files
        .iter()
        .find(|(name, _)| name == "README.txt")
        .expect("README")
        .1;
    for (name, _) in files.iter().filter(|(name, _)| name.ends_with(".json")) {
        assert!(readme.contains(name.as_str()), "the README explains {name}");
    }
    let profile = json_file(&files, "profile.json");
    assert_eq!(profile["email"], zoe.email.as_str());
    assert_eq!(profile["phone"], zoe.phone.as_str());
    assert!(profile.get("password_hash").is_none());
    let orders = json_file(&files, "orders.json");
    assert_eq!(orders.as_array().map(Vec::len), Some(1));
    assert_eq!(orders[0]["id"], zoe.order_id.to_string());
    assert_eq!(orders[0]["lines"][0]["quantity"], 2);
    assert_eq!(orders[0]["shipping_address"]["line1"], zoe.street.as_str());
    let addresses = json_file(&files, "addresses.json");
    assert_eq!(addresses[0]["address"]["line1"], zoe.street.as_str());
    let quotes = json_file(&files, "quotes.json");
    assert_eq!(quotes[0]["company_name"], zoe.company.as_str());
    assert_eq!(quotes[0]["items"][0]["quantity"], 3);
    let consents = json_file(&files, "consents.json");
    assert_eq!(consents.as_array().map(Vec::len), Some(2));
    let history = json_file(&files, "consent_history.json");
    assert_eq!(history[0]["user_agent"], zoe.user_agent.as_str());
    let sessions = json_file(&files, "sessions.json");
    assert!(!sessions.as_array().expect("sessions").is_empty());
    assert!(sessions[0].get("token_hash").is_none());
    let texts = json_file(&files, "sms.json");
    assert!(
        texts
            .as_array()
            .expect("texts")
            .iter()
            .all(|sms| sms.get("body").is_none())
    );
    assert_eq!(json_file(&files, "shops.json"), json!([]));

    // Nothing of the other client, anywhere in it.
    let everything: String = files.iter().map(|(_, text)| text.as_str()).collect();
    for value in [&other.email, &other.name, &other.street, &other.company] {
        assert!(!everything.contains(value.as_str()), "{value} leaked");
    }
    assert!(!everything.contains(&other.order_id.to_string()));

    // The link opens only its own export.
    let token = url.split("token=").nth(1).expect("token");
    let second = app
        .post("/v1/me/data-export", Some(&zoe.token), json!({}))
        .await;
    assert_eq!(second.status(), 202);
    let second: Value = second.json().await.expect("json");
    let swapped = format!(
        "{}/v1/me/data-exports/{}/download?token={token}",
        app.address,
        second["id"].as_str().expect("id")
    );
    let swapped = app.client.get(swapped).send().await.expect("answer");
    assert_problem(swapped, 403, "invalid_download_link").await;
    let tampered = app
        .client
        .get(format!("{url}x"))
        .send()
        .await
        .expect("answer");
    assert_problem(tampered, 403, "invalid_download_link").await;

    // Two a day (this test's setting): the third waits.
    let second_path = format!("/v1/me/data-exports/{}", second["id"].as_str().expect("id"));
    export_with_status(&app, &second_path, &zoe.token, "succeeded").await;
    let third = app
        .post("/v1/me/data-export", Some(&zoe.token), json!({}))
        .await;
    assert!(third.headers().contains_key(header::RETRY_AFTER));
    assert_problem(third, 429, "rate_limited").await;

    // Past its expiry the purge deletes the file: the view says so and the link is dead.
    sqlx::query("UPDATE data_exports SET expires_at = now() - interval '1 second' WHERE id = $1")
        .bind(
            view["id"]
                .as_str()
                .and_then(|id| id.parse::<uuid::Uuid>().ok()),
        )
        .execute(&app.pool)
        .await
        .expect("expired");
    let storage = Storage::from_settings(&app.settings.storage).expect("storage");
    ReportPurger {
        pool: app.pool.clone(),
        storage,
    }
    .run()
    .await
    .expect("purge");
    let expired: Value = app
        .get(&location, Some(&zoe.token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(expired["status"], "expired");
    assert!(expired["download_url"].is_null());
    let dead = app.client.get(url).send().await.expect("answer");
    assert_eq!(dead.status(), 404);
}
