//! Erasure of a user's personal data ("right to be forgotten"). The request (the user, or a
//! superadmin for a request received outside the app) ends every session and stops sign-in at
//! once; a job then replaces the personal data everywhere with anonymous values in one
//! transaction, keeping orders and payments for accounting, and deletes the stored files.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::scrub::{self, Personal};
use crate::action_log::{self, Action};
use crate::{StoreResult, sessions};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErasureSource {
    /// `DELETE /v1/me`.
    Own,
    /// `POST /v1/admin/users/{id}/erase`.
    Admin,
}

impl ErasureSource {
    fn as_str(self) -> &'static str {
        match self {
            ErasureSource::Own => "self",
            ErasureSource::Admin => "admin",
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Erasure {
    pub user_id: Uuid,
    pub source: String,
    /// `queued`, `scrubbed` (files left to delete) or `done`.
    pub status: String,
    pub requested_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Why an erasure cannot start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The user owns a shop that still sells: it is skipped or closed first.
    ShopsOpen,
    /// The user is the last superadmin who can sign in: nobody could administer the
    /// marketplace after them.
    LastSuperadmin,
}

/// Records the erasure of `user_id` (once: a repeat answers the first), ends their sessions and
/// stops them signing in. `Ok((erasure, true))` when it is new: the caller enqueues the job and
/// records the request in the same transaction.
pub async fn request(
    tx: &mut PgConnection,
    user_id: Uuid,
    source: ErasureSource,
    requested_by: Uuid,
) -> StoreResult<Result<(Erasure, bool), Refusal>> {
    // Two requests at once: the second waits here, then finds the first. Superadmins are
    // locked together (in id order), so two of them erasing each other cannot leave none.
    sqlx::query("SELECT 1 FROM users WHERE id = $1 OR role = 'superadmin' ORDER BY id FOR UPDATE")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    if let Some(existing) = find(&mut *tx, user_id).await? {
        return Ok(Ok((existing, false)));
    }
    let (open, last_superadmin): (bool, bool) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM shops WHERE owner_id = $1 AND status = 'active'), \
           u.role = 'superadmin' AND NOT EXISTS (SELECT 1 FROM users o WHERE o.id <> u.id \
             AND o.role = 'superadmin' AND o.banned_at IS NULL \
             AND o.erasure_requested_at IS NULL) \
         FROM users u WHERE u.id = $1",
    )
    .bind(user_id)
    .fetch_one(&mut *tx)
    .await?;
    if open {
        return Ok(Err(Refusal::ShopsOpen));
    }
    if last_superadmin {
        return Ok(Err(Refusal::LastSuperadmin));
    }
    let erasure = sqlx::query_as(
        "INSERT INTO user_erasures (user_id, source, requested_by) VALUES ($1, $2, $3) \
         RETURNING user_id, source, status, requested_at, finished_at",
    )
    .bind(user_id)
    .bind(source.as_str())
    .bind(requested_by)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("UPDATE users SET erasure_requested_at = now(), updated_at = now() WHERE id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sessions::revoke_all(&mut *tx, user_id).await?;
    action_log::record(
        &mut *tx,
        Action {
            actor_id: requested_by,
            action: "user.erasure_requested",
            target_type: "user",
            target_id: user_id,
            meta: json!({"source": source.as_str()}),
        },
    )
    .await?;
    Ok(Ok((erasure, true)))
}

pub async fn set_job(tx: &mut PgConnection, user_id: Uuid, job_id: Uuid) -> StoreResult<()> {
    sqlx::query("UPDATE user_erasures SET job_id = $2 WHERE user_id = $1")
        .bind(user_id)
        .bind(job_id)
        .execute(tx)
        .await?;
    Ok(())
}

pub async fn find(db: &mut PgConnection, user_id: Uuid) -> StoreResult<Option<Erasure>> {
    Ok(sqlx::query_as(
        "SELECT user_id, source, status, requested_at, finished_at FROM user_erasures \
         WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(db)
    .await?)
}

/// Where an erasure stands for the job.
#[derive(Debug, PartialEq, Eq)]
pub enum Progress {
    /// No erasure was asked for this user.
    Unknown,
    /// The database is scrubbed; these stored files are left to delete.
    FilesLeft(Vec<String>),
    Done,
}

/// Scrubs the database for `user_id` in one transaction (a crash leaves nothing done), and
/// returns the stored files left to delete. Run again, it scrubs nothing twice.
pub async fn scrub(pool: &PgPool, user_id: Uuid) -> StoreResult<Progress> {
    let mut tx = pool.begin().await?;
    let state: Option<(String, Vec<String>, Option<Uuid>)> = sqlx::query_as(
        "SELECT status, file_keys, requested_by FROM user_erasures WHERE user_id = $1 FOR UPDATE",
    )
    .bind(user_id)
    .fetch_optional(&mut *tx)
    .await?;
    let requested_by = match state {
        None => return Ok(Progress::Unknown),
        Some((status, _, _)) if status == "done" => return Ok(Progress::Done),
        Some((status, keys, _)) if status == "scrubbed" => return Ok(Progress::FilesLeft(keys)),
        Some((_, _, requested_by)) => requested_by.unwrap_or(user_id),
    };
    let personal = personal_values(&mut tx, user_id).await?;
    let keys = stored_files(&mut tx, user_id).await?;
    // Before the copies are rewritten: the waiting emails are found by their address.
    stop_messages(&mut tx, user_id, &personal).await?;
    let changed = scrub::copies(&mut tx, user_id, &personal).await?;
    clear_owned_rows(&mut tx, user_id).await?;
    sqlx::query(
        "UPDATE user_erasures SET status = 'scrubbed', scrubbed_at = now(), file_keys = $2 \
         WHERE user_id = $1",
    )
    .bind(user_id)
    .bind(&keys)
    .execute(&mut *tx)
    .await?;
    action_log::record(
        &mut *tx,
        Action {
            actor_id: requested_by,
            action: "user.erased",
            target_type: "user",
            target_id: user_id,
            meta: json!({"copies_scrubbed": changed, "files": keys.len()}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Progress::FilesLeft(keys))
}

/// Records that the files are deleted: the erasure is done.
pub async fn finish(pool: &PgPool, user_id: Uuid) -> StoreResult<()> {
    sqlx::query(
        "UPDATE user_erasures SET status = 'done', file_keys = '{}', finished_at = now() \
         WHERE user_id = $1 AND status = 'scrubbed'",
    )
    .bind(user_id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Everything personal the user gave: identity, addresses, what they wrote on quotes, the
/// phones that paid.
async fn personal_values(tx: &mut PgConnection, user_id: Uuid) -> StoreResult<Personal> {
    let (email, phone, name): (Option<String>, Option<String>, String) =
        sqlx::query_as("SELECT email, phone, name FROM users WHERE id = $1 FOR UPDATE")
            .bind(user_id)
            .fetch_one(&mut *tx)
            .await?;
    let mut values: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT value FROM ( \
           SELECT leaf #>> '{}' AS value FROM orders o, \
                  jsonb_path_query(o.shipping_address, 'lax $.**') AS leaf \
           WHERE o.client_id = $1 AND jsonb_typeof(leaf) = 'string' \
           UNION ALL SELECT company_name FROM quotes WHERE client_id = $1 \
           UNION ALL SELECT vat_number FROM quotes WHERE client_id = $1 \
           UNION ALL SELECT notes FROM quotes WHERE client_id = $1 \
           UNION ALL SELECT p.phone FROM payments p JOIN orders o ON o.id = p.order_id \
                     WHERE o.client_id = $1) v \
         WHERE value IS NOT NULL",
    )
    .bind(user_id)
    .fetch_all(&mut *tx)
    .await?;
    values.push(name);
    // Providers write phones their own way: PayGate without the `+`.
    let phones: Vec<String> = phone
        .iter()
        .chain(&values)
        .filter_map(|v| bare_phone(v))
        .collect();
    let identifiers = email.into_iter().chain(phone).chain(phones).collect();
    Ok(Personal::new(user_id, identifiers, values))
}

/// The digits of an E.164 phone (`+221771234567` → `221771234567`).
fn bare_phone(value: &str) -> Option<String> {
    let digits = value.strip_prefix('+')?;
    (digits.len() >= 8 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.to_owned())
}

/// Cancels the emails and texts to the person that are still waiting: their address is gone.
async fn stop_messages(
    tx: &mut PgConnection,
    user_id: Uuid,
    personal: &Personal,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE jobs SET status = 'cancelled', finished_at = now(), updated_at = now() \
         WHERE status IN ('queued', 'retrying') AND kind = 'email.send.v1' \
           AND payload ->> 'to' = ANY($1)",
    )
    .bind(personal.identifiers())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE sms_messages SET status = 'failed', error = 'the recipient was erased', \
           updated_at = now() WHERE user_id = $1 AND status = 'queued'",
    )
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The stored files that hold the user's data: their exports, their orders' shipping
/// documents, every offer PDF of their quotes. Every key a file of theirs has or will have, so one still being written is deleted too.
async fn stored_files(tx: &mut PgConnection, user_id: Uuid) -> StoreResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT format('exports/%s/%s.zip', user_id, id) FROM data_exports WHERE user_id = $1 \
         UNION SELECT format('orders/%s/%s.pdf', d.order_id, d.kind) FROM order_documents d \
               JOIN orders o ON o.id = d.order_id WHERE o.client_id = $1 \
         UNION SELECT format('quotes/%s/offer-%s.pdf', q.id, v) FROM quotes q, \
               generate_series(1, q.offer_version) AS v WHERE q.client_id = $1",
    )
    .bind(user_id)
    .fetch_all(&mut *tx)
    .await?)
}

/// The rows that are the user's: anonymised where accounting keeps them, deleted otherwise.
async fn clear_owned_rows(tx: &mut PgConnection, user_id: Uuid) -> StoreResult<()> {
    const STATEMENTS: &[&str] = &[
        "DELETE FROM login_failures WHERE account IN \
           (SELECT lower(email) FROM users WHERE id = $1 UNION SELECT phone FROM users WHERE id = $1)",
        "DELETE FROM otp_codes WHERE phone = (SELECT phone FROM users WHERE id = $1)",
        "DELETE FROM otp_sends WHERE phone = (SELECT phone FROM users WHERE id = $1)",
        "DELETE FROM password_reset_tokens WHERE user_id = $1",
        "DELETE FROM refresh_tokens WHERE user_id = $1",
        "DELETE FROM idempotency_keys WHERE user_id = $1",
        "DELETE FROM notifications WHERE user_id = $1",
        "DELETE FROM notification_consent_skips WHERE user_id = $1",
        "DELETE FROM marketing_consent_changes WHERE user_id = $1",
        "DELETE FROM marketing_consents WHERE user_id = $1",
        "DELETE FROM data_exports WHERE user_id = $1",
        "DELETE FROM order_documents WHERE order_id IN (SELECT id FROM orders WHERE client_id = $1)",
        "UPDATE orders SET shipping_address = NULL, updated_at = now() WHERE client_id = $1",
        "UPDATE payments SET phone = NULL WHERE order_id IN (SELECT id FROM orders WHERE client_id = $1)",
        "UPDATE quotes SET company_name = '[erased]', vat_number = NULL, notes = NULL, pdf_key = NULL \
         WHERE client_id = $1",
        "UPDATE sms_messages SET to_phone = '[erased]', body = NULL WHERE user_id = $1",
        "UPDATE users SET name = 'Erased user', email = NULL, phone = NULL, \
           password_hash = '[erased]', phone_verified_at = NULL, locale = NULL, want_shop = FALSE, \
           erased_at = now(), updated_at = now() \
         WHERE id = $1",
    ];
    for statement in STATEMENTS {
        // Constant statements: only the user's id is bound.
        sqlx::query(sqlx::AssertSqlSafe(*statement))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::bare_phone;

    #[test]
    fn a_phone_is_also_searched_for_without_its_plus() {
        assert_eq!(bare_phone("+221771234567").as_deref(), Some("221771234567"));
        for not_a_phone in ["221771234567", "+22", "+221 77 123", "Rue 10"] {
            assert_eq!(bare_phone(not_a_phone), None, "{not_a_phone}");
        }
    }
}
