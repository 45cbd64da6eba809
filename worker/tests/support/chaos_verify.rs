//! The chaos suite's verdict: each effect of the load (see `chaos_load.rs`) happened exactly
//! once. Missing effects count as lost, repeated ones as duplicated; anything else wrong (a
//! delivery stuck half-way, an import whose progress disagrees with the catalogue) is noted.
//!
//! One repeat is told apart: an email sent again because its first run was SIGKILLed after the
//! SMTP server accepted it and before the worker recorded that (SMTP has no idempotency key;
//! both copies carry the same Message-ID). It is counted on its own and does not fail the run;
//! any other repeat does.

use std::collections::{BTreeMap, HashMap, HashSet};

use sqlx::PgPool;
use uuid::Uuid;

use comptoir_testkit::TestApp;
use comptoir_testkit::chaos::smtp::Received;

use crate::chaos_load::Load;

/// What the check found: effects missing, effects repeated, and anything else wrong.
#[derive(Debug, Default)]
pub struct Verdict {
    pub lost: usize,
    pub duplicated: usize,
    /// Emails sent again after a kill inside SMTP's acceptance window (see the module docs).
    pub resent_after_kill: usize,
    pub notes: Vec<String>,
}

impl Verdict {
    fn lost(&mut self, n: usize, what: String) {
        self.lost += n;
        self.notes.push(format!("lost {n}: {what}"));
    }

    fn duplicated(&mut self, n: usize, what: String) {
        self.duplicated += n;
        self.notes.push(format!("duplicated {n}: {what}"));
    }

    fn wrong(&mut self, what: String) {
        self.notes.push(format!("wrong: {what}"));
    }

    pub fn is_clean(&self) -> bool {
        self.notes.is_empty()
    }
}

/// Checks every effect of the load once the jobs have ended.
pub async fn verify(app: &TestApp, load: &Load, pings: usize, mail: &[Received]) -> Verdict {
    let mut verdict = Verdict::default();
    jobs(&app.pool, pings, &mut verdict).await;
    emails(&app.pool, load, mail, &mut verdict).await;
    notifications(&app.pool, load, &mut verdict).await;
    imports(&app.pool, load, &mut verdict).await;
    reports(app, load, &mut verdict).await;
    verdict
}

/// Every job succeeded, and every ping enqueued is in the ledger.
async fn jobs(pool: &PgPool, pings: usize, verdict: &mut Verdict) {
    let open: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT kind, status, count(*) FROM jobs WHERE status <> 'succeeded' GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .fetch_all(pool)
    .await
    .expect("ledger");
    for (kind, status, n) in open {
        verdict.lost(
            n as usize,
            format!("{kind} jobs ended `{status}`, not succeeded"),
        );
    }
    let in_ledger: i64 =
        sqlx::query_scalar("SELECT count(*) FROM jobs WHERE kind = 'system.ping.v1'")
            .fetch_one(pool)
            .await
            .expect("ledger");
    if in_ledger as usize != pings {
        verdict.wrong(format!("{pings} pings enqueued, {in_ledger} in the ledger"));
    }
}

/// Each expected email (by dedupe key) has one `sent` delivery, whose Message-ID the sink holds
/// exactly once, addressed to its recipient; the sink holds nothing else.
async fn emails(pool: &PgPool, load: &Load, mail: &[Received], verdict: &mut Verdict) {
    let expected: Vec<(String, String)> = sqlx::query_as(
        "SELECT 'welcome:' || id, lower(email) FROM users WHERE email IS NOT NULL \
         UNION ALL SELECT format('notification:%s:%s', $1::uuid, id), lower(email) FROM users WHERE id = ANY($2) \
         UNION ALL SELECT 'report-ready:' || r.id, lower(u.email) FROM reports r JOIN users u ON u.id = r.requested_by WHERE r.id = ANY($3) \
         UNION ALL SELECT format('chaos:%s:%s', $4::text, n), format('chaos-%s-%s@example.com', $4::text, n) \
                   FROM generate_series(1, $5::int) n",
    )
    .bind(load.batch)
    .bind(&load.members)
    .bind(&load.reports)
    .bind(&load.run)
    .bind(load.direct_emails as i32)
    .fetch_all(pool)
    .await
    .expect("expected emails");
    let deliveries: Vec<(Uuid, String, String, String, i32)> =
        sqlx::query_as("SELECT id, dedupe_key, lower(recipient), status, attempts FROM deliveries")
            .fetch_all(pool)
            .await
            .expect("deliveries");
    let by_key: HashMap<&str, (&Uuid, &str, &str)> = deliveries
        .iter()
        .map(|(id, key, to, status, _)| (key.as_str(), (id, to.as_str(), status.as_str())))
        .collect();
    let mut by_message_id: HashMap<&str, Vec<&Received>> = HashMap::new();
    for message in mail {
        by_message_id
            .entry(message.message_id.as_str())
            .or_default()
            .push(message);
    }
    let mut missing = 0;
    for (key, to) in &expected {
        match by_key.get(key.as_str()) {
            Some((_, _, "sent")) => {}
            Some((_, _, status)) => verdict.wrong(format!("delivery {key} is `{status}`")),
            None => missing += 1,
        }
        if by_key
            .get(key.as_str())
            .is_some_and(|(_, recipient, _)| recipient != to)
        {
            verdict.wrong(format!(
                "delivery {key} addressed to someone else than {to}"
            ));
        }
    }
    if missing > 0 {
        verdict.lost(missing, "expected emails without a delivery".to_owned());
    }
    let (mut unsent, mut repeated) = (0, Vec::new());
    for (id, key, to, _, attempts) in &deliveries {
        let copies = by_message_id
            .remove(format!("<{id}@comptoir>").as_str())
            .unwrap_or_default();
        match copies.len() {
            0 => unsent += 1,
            1 => {}
            n => repeated.push((
                n - 1,
                format!("{key} (delivery {id}, claimed {attempts}×)"),
                key.clone(),
                to.clone(),
            )),
        }
        if copies.iter().any(|m| m.recipients != [to.clone()]) {
            verdict.wrong(format!(
                "the message of {key} went to other recipients than {to}"
            ));
        }
    }
    if unsent > 0 {
        verdict.lost(
            unsent,
            "deliveries whose Message-ID never reached the sink".to_owned(),
        );
    }
    let mut resent_to: BTreeMap<String, usize> = BTreeMap::new();
    let mut unexplained = Vec::new();
    for (extra, what, key, to) in repeated {
        if first_run_was_killed(pool, &key).await {
            verdict.resent_after_kill += extra;
            *resent_to.entry(to).or_default() += extra;
        } else {
            unexplained.push((extra, what));
        }
    }
    if !unexplained.is_empty() {
        let examples: Vec<&str> = unexplained
            .iter()
            .take(5)
            .map(|(_, e)| e.as_str())
            .collect();
        verdict.duplicated(
            unexplained.iter().map(|(n, _)| n).sum(),
            format!(
                "emails whose Message-ID the sink received again: {}",
                examples.join(", ")
            ),
        );
    }
    let strays: usize = by_message_id.values().map(Vec::len).sum();
    if strays > 0 {
        verdict.duplicated(
            strays,
            "messages in the sink without a delivery row".to_owned(),
        );
    }
    per_recipient(&expected, mail, &resent_to, verdict);
}

/// Whether the email job of `dedupe_key` lost a run to a dead worker (its lease expired).
async fn first_run_was_killed(pool: &PgPool, dedupe_key: &str) -> bool {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM jobs WHERE kind = 'email.send.v1' \
         AND payload ->> 'dedupe_key' = $1 AND last_error LIKE 'worker lost%')",
    )
    .bind(dedupe_key)
    .fetch_one(pool)
    .await
    .expect("email job")
}

/// One message per expected email, per recipient.
fn per_recipient(
    expected: &[(String, String)],
    mail: &[Received],
    resent_to: &BTreeMap<String, usize>,
    verdict: &mut Verdict,
) {
    let mut want: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, to) in expected {
        *want.entry(to.as_str()).or_default() += 1;
    }
    for (to, extra) in resent_to {
        *want.entry(to.as_str()).or_default() += extra;
    }
    let mut got: BTreeMap<&str, usize> = BTreeMap::new();
    for to in mail.iter().flat_map(|m| &m.recipients) {
        *got.entry(to.as_str()).or_default() += 1;
    }
    let wrong: Vec<String> = want
        .keys()
        .chain(got.keys())
        .collect::<HashSet<_>>()
        .into_iter()
        .filter(|to| want.get(**to) != got.get(**to))
        .take(5)
        .map(|to| {
            format!(
                "{to}: {} expected, {} received",
                want.get(*to).unwrap_or(&0),
                got.get(*to).unwrap_or(&0)
            )
        })
        .collect();
    if !wrong.is_empty() {
        verdict.wrong(format!(
            "messages per recipient differ: {}",
            wrong.join("; ")
        ));
    }
}

/// One notification per (batch, member), none for anyone else.
async fn notifications(pool: &PgPool, load: &Load, verdict: &mut Verdict) {
    let rows: Vec<(Uuid, i64)> = sqlx::query_as(
        "SELECT user_id, count(*) FROM notifications WHERE batch_id = $1 GROUP BY user_id",
    )
    .bind(load.batch)
    .fetch_all(pool)
    .await
    .expect("notifications");
    let counts: HashMap<Uuid, i64> = rows.into_iter().collect();
    let missing = load
        .members
        .iter()
        .filter(|m| !counts.contains_key(m))
        .count();
    let extra: i64 = counts.values().map(|n| n - 1).sum();
    if missing > 0 {
        verdict.lost(missing, "members without their notification".to_owned());
    }
    if extra > 0 {
        verdict.duplicated(
            extra as usize,
            "notifications beyond one per (batch, user)".to_owned(),
        );
    }
    let strangers = counts.keys().filter(|u| !load.members.contains(u)).count();
    if strangers > 0 {
        verdict.wrong(format!(
            "{strangers} users outside the audience were notified"
        ));
    }
}

/// Each import succeeded with exactly its rows in the catalogue, and says so in its progress.
async fn imports(pool: &PgPool, load: &Load, verdict: &mut Verdict) {
    for (import, shop, rows) in &load.imports {
        let (status, created, processed): (String, i32, i32) =
            sqlx::query_as("SELECT status, created, processed FROM imports WHERE id = $1")
                .bind(import)
                .fetch_one(pool)
                .await
                .expect("import");
        let products: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM products WHERE shop_id = $1 AND deleted_at IS NULL",
        )
        .bind(shop)
        .fetch_one(pool)
        .await
        .expect("products");
        let rows = *rows as i64;
        if products < rows {
            verdict.lost(
                (rows - products) as usize,
                format!("products of import {import}"),
            );
        }
        if products > rows {
            verdict.duplicated(
                (products - rows) as usize,
                format!("products of import {import}"),
            );
        }
        if status != "succeeded" || i64::from(created) != rows || i64::from(processed) != rows {
            verdict.wrong(format!(
                "import {import}: status {status}, created {created}, processed {processed} of {rows} rows"
            ));
        }
    }
}

/// Each report succeeded and its directory in storage holds exactly its one file.
async fn reports(app: &TestApp, load: &Load, verdict: &mut Verdict) {
    for id in &load.reports {
        let (status, key): (String, Option<String>) =
            sqlx::query_as("SELECT status, file_key FROM reports WHERE id = $1")
                .bind(id)
                .fetch_one(&app.pool)
                .await
                .expect("report");
        let dir = app.settings.storage.root.join(format!("reports/{id}"));
        let files: Vec<String> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| format!("reports/{id}/{}", e.file_name().to_string_lossy()))
                    .collect()
            })
            .unwrap_or_default();
        if status != "succeeded" || key.is_none() {
            verdict.lost(1, format!("report {id} is `{status}` (file {key:?})"));
        } else if files != key.clone().into_iter().collect::<Vec<_>>() {
            verdict.wrong(format!(
                "report {id}: stored files {files:?}, expected only {key:?}"
            ));
        }
    }
}
