//! POST /v1/products/{id}/images end to end: the API stores the upload and enqueues the job,
//! the worker scans and resizes it, the product lists the variants, the API serves them.

mod support;

use std::time::Duration;

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use uuid::Uuid;

use comptoir_domain::types::Role;
use comptoir_testkit::market::{TestProduct, TestShop};
use comptoir_testkit::{TestApp, assert_problem, test_settings, wait_until};
use support::images::{EICAR, files_under, jpeg, png};
use support::spawn_worker;

const WAIT: Duration = Duration::from_secs(30);

struct Setup {
    app: TestApp,
    shop: TestShop,
    product: Uuid,
    root: std::path::PathBuf,
}

async fn setup(overrides: &[(&str, Value)]) -> Setup {
    let app = TestApp::spawn(test_settings(overrides).await).await;
    let root = app.settings.storage.root.clone();
    let shop = app.shop().await;
    let product = app.product(shop.id, TestProduct::new(5_000, 3)).await;
    Setup {
        app,
        shop,
        product,
        root,
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

async fn upload(
    app: &TestApp,
    product: Uuid,
    token: &str,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let part = Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str("image/jpeg")
        .expect("mime");
    app.client
        .post(format!("{}/v1/products/{product}/images", app.address))
        .bearer_auth(token)
        .multipart(Form::new().part("image", part))
        .send()
        .await
        .expect("the API answers")
}

/// Follows the upload's Location until the worker has decided.
async fn wait_until_processed(app: &TestApp, location: &str, token: &str) -> Value {
    wait_until("the image to be processed", WAIT, || async {
        let image: Value = app.get(location, Some(token)).await.json().await.ok()?;
        (image["status"] != "pending").then_some(image)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_image_becomes_ready_and_its_variants_are_served_with_cache_headers() {
    let setup = setup(&[]).await;
    let Setup {
        app, shop, product, ..
    } = &setup;
    let _worker = spawn_worker(&app.settings, &["images"]);

    // A PNG sent as photo.jpg: the bytes decide.
    let accepted = upload(
        app,
        *product,
        &shop.owner_token,
        "photo.jpg",
        png(1200, 900),
    )
    .await;
    assert_eq!(accepted.status(), 202);
    let location = accepted.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let pending: Value = accepted.json().await.expect("json");
    assert_eq!(pending["status"], "pending");
    assert_eq!(
        location,
        format!(
            "/v1/products/{product}/images/{}",
            pending["id"].as_str().expect("id")
        )
    );

    let image = wait_until_processed(app, &location, &shop.owner_token).await;
    assert_eq!(image["status"], "ready", "{image}");
    assert_eq!(
        (image["width"].clone(), image["height"].clone()),
        (json!(1200), json!(900))
    );

    // Anyone sees the ready image on the product page and in the catalogue.
    let page: Value = app
        .get(&format!("/v1/products/{product}"), None)
        .await
        .json()
        .await
        .expect("json");
    let images = page["images"].as_array().expect("images");
    assert_eq!(images.len(), 1);
    let variants = images[0]["variants"].as_array().expect("variants");
    let shapes: Vec<(u64, &str)> = variants
        .iter()
        .map(|v| {
            (
                v["width"].as_u64().expect("width"),
                v["format"].as_str().expect("format"),
            )
        })
        .collect();
    assert_eq!(
        shapes,
        [
            (1080, "webp"),
            (1080, "jpeg"),
            (480, "webp"),
            (480, "jpeg"),
            (160, "webp"),
            (160, "jpeg")
        ]
    );
    let listed: Value = app
        .get(&format!("/v1/products?shop_id={}", shop.id), None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["items"][0]["images"][0]["variants"], json!(variants));

    for variant in variants {
        let url = variant["url"].as_str().expect("url");
        let served = app.get(url, None).await;
        assert_eq!(served.status(), 200, "{url}");
        let expected_type = if variant["format"] == "webp" {
            "image/webp"
        } else {
            "image/jpeg"
        };
        assert_eq!(served.headers()["content-type"], expected_type);
        assert_eq!(
            served.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        let bytes = served.bytes().await.expect("body");
        let decoded = image::load_from_memory(&bytes).expect("a real image");
        assert_eq!(
            u64::from(decoded.width()),
            variant["width"].as_u64().expect("width")
        );
        assert_eq!(
            u64::from(decoded.height()),
            variant["height"].as_u64().expect("height")
        );
    }
    // The original (and whatever metadata it carried) is not kept once processed.
    assert!(
        files_under(&setup.root)
            .iter()
            .all(|f| f.starts_with("images/")),
        "{:?}",
        files_under(&setup.root)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_infected_upload_is_rejected_visibly_to_its_owner_and_never_stored() {
    let setup = setup(&[]).await;
    let Setup {
        app, shop, product, ..
    } = &setup;
    let _worker = spawn_worker(&app.settings, &["images"]);
    let accepted = upload(app, *product, &shop.owner_token, "cat.jpg", EICAR.to_vec()).await;
    assert_eq!(accepted.status(), 202);
    let location = accepted.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let image = wait_until_processed(app, &location, &shop.owner_token).await;
    assert_eq!(image["status"], "rejected");
    assert_eq!(image["rejection"]["code"], "infected", "{image}");

    let owner_view: Value = app
        .get(&format!("/v1/products/{product}"), Some(&shop.owner_token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(owner_view["images"][0]["rejection"]["code"], "infected");
    let public_view: Value = app
        .get(&format!("/v1/products/{product}"), None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(public_view["images"], json!([]));
    assert!(
        files_under(&setup.root).is_empty(),
        "{:?}",
        files_under(&setup.root)
    );
}

#[tokio::test]
async fn an_upload_over_the_limit_is_413_and_leaves_nothing() {
    let setup = setup(&[("images.max_upload_bytes", json!(4096))]).await;
    let Setup {
        app, shop, product, ..
    } = &setup;
    let big = jpeg(600, 600);
    assert!(big.len() > 4096, "{} bytes", big.len());
    assert_problem(
        upload(app, *product, &shop.owner_token, "big.jpg", big).await,
        413,
        "payload_too_large",
    )
    .await;
    let page: Value = app
        .get(&format!("/v1/products/{product}"), Some(&shop.owner_token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(page["images"], json!([]));
    assert!(files_under(&setup.root).is_empty());
}

#[tokio::test]
async fn only_the_owner_and_admins_upload_and_other_sellers_see_404() {
    let setup = setup(&[]).await;
    let Setup {
        app, shop, product, ..
    } = &setup;
    let other = app.shop().await;
    assert_problem(
        upload(app, *product, &other.owner_token, "a.png", png(20, 20)).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        upload(app, Uuid::now_v7(), &shop.owner_token, "a.png", png(20, 20)).await,
        404,
        "not_found",
    )
    .await;
    let (_, client) = app.user_with_role(Role::Client).await;
    assert_problem(
        upload(app, *product, &client, "a.png", png(20, 20)).await,
        403,
        "forbidden",
    )
    .await;
    assert_eq!(
        upload(app, *product, &shop.admin_token, "a.png", png(20, 20))
            .await
            .status(),
        202
    );

    // A request without the `image` field is a validation error.
    let form = Form::new().text("caption", "hello");
    let response = app
        .client
        .post(format!("{}/v1/products/{product}/images", app.address))
        .bearer_auth(&shop.owner_token)
        .multipart(form)
        .send()
        .await
        .expect("answers");
    assert_problem(response, 422, "validation_failed").await;
    // Someone else's image is not visible through another product.
    let image_of_other = format!("/v1/products/{}/images/{}", product, Uuid::now_v7());
    assert_problem(
        app.get(&image_of_other, Some(&other.owner_token)).await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn media_serves_variant_keys_only() {
    let setup = setup(&[]).await;
    let app = &setup.app;
    // A file outside images/ exists in storage but is never served.
    std::fs::create_dir_all(setup.root.join("uploads")).expect("dir");
    std::fs::write(setup.root.join("uploads/secret.jpg"), b"x").expect("file");
    let digest = "0".repeat(64);
    for path in [
        format!("/v1/media/images/{digest}/160.webp"),
        "/v1/media/uploads/secret.jpg".to_owned(),
        format!("/v1/media/images/{digest}/..%2F..%2Fuploads%2Fsecret.jpg"),
        format!("/v1/media/images/{digest}/../../uploads/secret.jpg"),
    ] {
        assert_problem(app.get(&path, None).await, 404, "not_found").await;
    }
}
