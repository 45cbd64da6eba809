//! The chaos suite's mixed load (`chaos_verify.rs` checks its effects).
//!
//! The load: welcome emails (every registration), direct `email.send.v1` jobs to unique
//! addresses, one email notification fanned out to a list of members, bulk imports of known
//! sizes, reports, and many no-op `system.ping.v1` jobs. Every expected effect has a key known
//! in advance (a delivery's dedupe key, a (batch, user) pair, a shop's SKUs, a report id), so
//! the check can tell a lost effect from a duplicated one.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use comptoir_domain::types::Role;
use comptoir_testkit::TestApp;
use comptoir_testkit::app::unique_email;

use crate::support::imports::{Upload, start_import};
use crate::support::reports::{market, request};

/// How much of each kind of work one run submits (pings are fed in waves by the test).
pub struct Sizes {
    pub members: usize,
    pub direct_emails: usize,
    pub imports: usize,
    pub import_rows: usize,
}

pub struct Load {
    /// A maintainer's token: sends the notification, reads the ledger.
    pub admin: String,
    /// A member's token, for authenticated reads.
    pub member_token: String,
    /// The notification's audience.
    pub members: Vec<Uuid>,
    pub batch: Option<Uuid>,
    /// (import, shop, rows)
    pub imports: Vec<(Uuid, Uuid, usize)>,
    pub reports: Vec<Uuid>,
    /// Tags the direct emails' addresses and dedupe keys (`chaos-<run>-<n>@example.com`).
    pub run: String,
    pub direct_emails: usize,
    sizes: Sizes,
}

/// Users, shops and the report fixtures; made before the workers start.
pub async fn prepare(app: &TestApp, sizes: Sizes) -> Load {
    let (_, admin) = app.user_with_role(Role::Maintainer).await;
    let mut members = Vec::new();
    let mut member_token = String::new();
    for _ in 0..sizes.members {
        let session = app
            .register(&unique_email("member"), "correct horse battery")
            .await;
        members.push(
            session["user"]["id"]
                .as_str()
                .expect("id")
                .parse()
                .expect("uuid"),
        );
        member_token = session["access_token"].as_str().expect("token").to_owned();
    }
    Load {
        admin,
        member_token,
        members,
        batch: None,
        imports: Vec::new(),
        reports: Vec::new(),
        run: Uuid::now_v7().simple().to_string(),
        direct_emails: 0,
        sizes,
    }
}

/// A CSV of `rows` products in our format, SKUs `CHAOS-<n>`.
fn catalogue_csv(rows: usize) -> Vec<u8> {
    let mut csv = String::from("sku,name,price,stock\n");
    for n in 1..=rows {
        csv.push_str(&format!("CHAOS-{n},Chaos item {n},1000,5\n"));
    }
    csv.into_bytes()
}

/// Submits the notification, the imports, the reports and the direct emails.
pub async fn submit(app: &TestApp, load: &mut Load) {
    let accepted = app
        .post(
            "/v1/notifications",
            Some(&load.admin),
            json!({"user_ids": load.members, "channel": "email",
                   "subject": "Chaos notice", "body": "Every recipient gets this once."}),
        )
        .await;
    assert_eq!(accepted.status(), 202, "notification accepted");
    let batch: serde_json::Value = accepted.json().await.expect("json");
    load.batch = Some(batch["id"].as_str().expect("id").parse().expect("uuid"));

    let csv = catalogue_csv(load.sizes.import_rows);
    for _ in 0..load.sizes.imports {
        let shop = app.shop().await;
        app.set_item_limit(shop.id, load.sizes.import_rows + 10)
            .await;
        let import = start_import(app, &shop.owner_token, &Upload::csv(shop.id, &csv)).await;
        load.imports.push((import, shop.id, load.sizes.import_rows));
    }

    let market = market(app).await;
    for (kind, format) in [
        ("sales_summary", "csv"),
        ("orders_detail", "xlsx"),
        ("payments", "json"),
    ] {
        let id = request(app, &market.admin, kind, format, json!({})).await;
        load.reports.push(id.parse().expect("uuid"));
    }

    load.direct_emails = load.sizes.direct_emails;
    sqlx::query(
        "INSERT INTO jobs (id, queue, kind, payload, max_attempts) \
         SELECT gen_random_uuid(), 'email', 'email.send.v1', jsonb_build_object( \
             'to', format('chaos-%s-%s@example.com', $1::text, n), \
             'dedupe_key', format('chaos:%s:%s', $1::text, n), \
             'message', jsonb_build_object('template', 'welcome', 'name', 'Chaos')), 10 \
         FROM generate_series(1, $2::int) n",
    )
    .bind(&load.run)
    .bind(i32::try_from(load.direct_emails).expect("a count that fits"))
    .execute(&app.pool)
    .await
    .expect("direct email jobs enqueued");
}

/// Enqueues `n` no-op jobs straight into the ledger (the relay hands them to Redis).
pub async fn enqueue_pings(pool: &PgPool, n: usize) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO jobs (id, queue, kind, payload, max_attempts) \
         SELECT gen_random_uuid(), 'system', 'system.ping.v1', '{}'::jsonb, 10 \
         FROM generate_series(1, $1::int)",
    )
    .bind(i32::try_from(n).expect("a count that fits"))
    .execute(pool)
    .await
    .map(|_| ())
}

/// A registration during the chaos (its welcome email joins the load); `Err` is the status.
pub async fn register_one(app: &TestApp) -> Result<(), String> {
    let answer = app
        .client
        .post(format!("{}/v1/auth/register", app.address))
        .json(&json!({"email": unique_email("chaos"), "password": "correct horse battery", "name": "Chaos"}))
        .send()
        .await
        .map_err(|err| format!("no answer: {err}"))?;
    match answer.status().as_u16() {
        201 => Ok(()),
        status => Err(format!(
            "{status} {}",
            answer.text().await.unwrap_or_default()
        )),
    }
}
