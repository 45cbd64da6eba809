//! The hourly shop-expiry sweep: expired shops are blocked and their owners emailed once;
//! shops ending within three days get one reminder; concurrent sweeps and several worker
//! processes change nothing to that.

mod support;

use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use uuid::Uuid;

use comptoir_domain::config::Settings;
use comptoir_domain::money::Money;
use comptoir_domain::products::{self, NewProduct};
use comptoir_domain::shops::{self, NewShop};
use comptoir_domain::types::Role;
use comptoir_jobs::catalogue_cache::CatalogueCache;
use comptoir_jobs::{Producer, RedisTransport};
use comptoir_testkit::app::unique_email;
use comptoir_testkit::mail::messages_to;
use comptoir_testkit::{TestApp, test_settings, wait_until};
use comptoir_worker::shops::{ShopSweeper, SweepReport};
use support::{spawn_worker, spawn_worker_process};

const WAIT: Duration = Duration::from_secs(30);

fn sweeper(app: &TestApp, settings: &Settings) -> ShopSweeper {
    ShopSweeper {
        pool: app.pool.clone(),
        producer: Producer::new(settings),
        catalogue: CatalogueCache::new(RedisTransport::new(&settings.redis).expect("redis")),
    }
}

/// A shop whose period ends `ends_in` from now, owned by a fresh account; (shop id, owner email).
async fn shop_ending_in(app: &TestApp, ends_in: chrono::Duration) -> (Uuid, String) {
    let email = unique_email("shopowner");
    let session = app.register(&email, "correct horse battery").await;
    let owner_id: Uuid = session["user"]["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("id");
    let end_date = Utc::now() + ends_in;
    let shop = shops::insert(
        &app.pool,
        NewShop {
            owner_id,
            name: "Chez Test",
            description: "",
            category: "",
            start_date: end_date - chrono::Duration::days(30),
            end_date,
            item_limit: 10,
        },
    )
    .await
    .expect("shop");
    (shop.id, email)
}

/// Emails to `owner` whose subject contains `subject` (owners also get a welcome email).
fn mails_about(owner: &str, subject: &str) -> usize {
    messages_to(owner)
        .iter()
        .filter(|mail| mail.subject.contains(subject))
        .count()
}

async fn wait_for_mail_about(owner: &str, subject: &str) {
    wait_until(
        &format!("an email about `{subject}` to {owner}"),
        WAIT,
        || async { (mails_about(owner, subject) > 0).then_some(()) },
    )
    .await;
}

async fn status(app: &TestApp, id: Uuid) -> String {
    shops::find(&app.pool, id)
        .await
        .expect("db")
        .expect("shop")
        .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sweeps_block_and_email_each_owner_once() {
    let settings = test_settings(&[]).await;
    let app = TestApp::spawn(settings.clone()).await;
    let (expired, expired_owner) = shop_ending_in(&app, chrono::Duration::hours(-1)).await;
    let (ending, ending_owner) = shop_ending_in(&app, chrono::Duration::days(2)).await;
    let (far, far_owner) = shop_ending_in(&app, chrono::Duration::days(10)).await;
    let sweeper = || sweeper(&app, &settings);

    let (one, two) = (sweeper(), sweeper());
    let (first, second) = tokio::join!(one.sweep(), two.sweep());
    let (first, second) = (first.expect("sweep"), second.expect("sweep"));
    assert_eq!(first.blocked + second.blocked, 1, "{first:?} {second:?}");
    assert_eq!(
        first.reminders + second.reminders,
        1,
        "{first:?} {second:?}"
    );
    assert_eq!(
        sweeper().sweep().await.expect("sweep"),
        SweepReport::default(),
        "a later sweep does nothing"
    );
    assert_eq!(status(&app, expired).await, "blocked");
    assert_eq!(
        (status(&app, ending).await, status(&app, far).await),
        ("active".to_owned(), "active".to_owned())
    );
    assert_eq!(
        app.get(&format!("/v1/shops/{expired}"), None)
            .await
            .status(),
        404,
        "hidden from the public"
    );

    let _worker = spawn_worker(&settings, &["email"]);
    wait_for_mail_about(&expired_owner, "is closed").await;
    wait_for_mail_about(&ending_owner, "closes soon").await;
    wait_until("every email job to finish", WAIT, || async {
        let open: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM jobs WHERE kind = 'email.send.v1' AND status <> 'succeeded'",
        )
        .fetch_one(&app.pool)
        .await
        .expect("count");
        (open == 0).then_some(())
    })
    .await;
    assert_eq!(mails_about(&expired_owner, "is closed"), 1);
    assert_eq!(mails_about(&expired_owner, "closes soon"), 0);
    assert_eq!(mails_about(&ending_owner, "closes soon"), 1);
    assert_eq!(mails_about(&ending_owner, "is closed"), 0);
    assert_eq!(mails_about(&far_owner, "Chez Test"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reactivated_shop_with_a_new_period_is_public_again() {
    let settings = test_settings(&[]).await;
    let app = TestApp::spawn(settings.clone()).await;
    let (shop, _) = shop_ending_in(&app, chrono::Duration::minutes(-5)).await;
    let sweeper = sweeper(&app, &settings);
    sweeper.sweep().await.expect("sweep");
    assert_eq!(status(&app, shop).await, "blocked");

    let (_, admin) = app.user_with_role(Role::Maintainer).await;
    let renewed = json!({"status": "active", "end_date": (Utc::now() + chrono::Duration::days(30)).to_rfc3339()});
    assert_eq!(
        app.patch(&format!("/v1/shops/{shop}"), Some(&admin), renewed)
            .await
            .status(),
        200
    );
    assert_eq!(sweeper.sweep().await.expect("sweep").blocked, 0);
    assert_eq!(
        app.get(&format!("/v1/shops/{shop}"), None).await.status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_retires_the_cached_catalogue_pages_of_the_shops_it_blocks() {
    let settings = test_settings(&[]).await;
    let app = TestApp::spawn(settings.clone()).await;
    let (shop, _) = shop_ending_in(&app, chrono::Duration::minutes(-5)).await;
    let price = Money {
        amount: 500,
        currency: "XOF".to_owned(),
    };
    let product = NewProduct {
        shop_id: shop,
        sku: "EXP-1",
        name: "Boubou",
        description: "",
        price: &price,
        stock: 1,
        category_id: None,
        color: None,
        size: None,
        variations: &json!([]),
        features: &json!({}),
    };
    products::insert(&app.pool, product).await.expect("product");
    let listing = format!("/v1/products?shop_id={shop}");
    let read = || async {
        let response = app.get(&listing, None).await;
        let cache = response.headers()["x-cache"]
            .to_str()
            .expect("ascii")
            .to_owned();
        let page: serde_json::Value = response.json().await.expect("json");
        (page["total"].as_i64().expect("total"), cache)
    };
    assert_eq!(read().await, (1, "miss".to_owned()));
    assert_eq!(read().await, (1, "hit".to_owned()), "the page is cached");
    sweeper(&app, &settings).sweep().await.expect("sweep");
    assert_eq!(read().await, (0, "miss".to_owned()), "never the stale page");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_worker_processes_running_the_cron_email_each_owner_once() {
    let settings = test_settings(&[("jobs.shop_sweep_interval_secs", json!(1))]).await;
    let app = TestApp::spawn(settings.clone()).await;
    let mut owners = Vec::new();
    for _ in 0..3 {
        owners.push(shop_ending_in(&app, chrono::Duration::minutes(-1)).await);
    }
    let mut workers = [
        spawn_worker_process(&settings, "email,maintenance"),
        spawn_worker_process(&settings, "email,maintenance"),
    ];
    for (_, owner) in &owners {
        wait_for_mail_about(owner, "is closed").await;
    }
    // Let several more ticks run on both processes.
    wait_until("three more sweep ticks", WAIT, || async {
        let ticks: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE kind = 'shops.expiry_sweep.v1' AND status = 'succeeded'")
            .fetch_one(&app.pool)
            .await
            .expect("count");
        (ticks >= 4).then_some(())
    })
    .await;
    for worker in &mut workers {
        worker.kill().expect("stop");
        let _ = worker.wait();
    }
    for (shop, owner) in &owners {
        assert_eq!(status(&app, *shop).await, "blocked");
        assert_eq!(mails_about(owner, "is closed"), 1, "{owner} emailed once");
    }
}
