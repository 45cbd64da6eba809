//! Users: accounts, login throttling, bans and roles.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

use crate::pagination::{Page, PageRequest};
use crate::types::{Email, Phone, Role};
use crate::{StoreError, StoreResult, new_id};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: Uuid,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password_hash: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub role: RoleColumn,
    pub want_shop: bool,
    pub banned_at: Option<DateTime<Utc>>,
    /// Set when a registration code sent to `phone` came back.
    pub phone_verified_at: Option<DateTime<Utc>>,
    /// `fr` or `en`; `None` uses `sms.default_locale`.
    pub locale: Option<String>,
    /// Set when the account's erasure was asked for: it can no longer sign in.
    pub erasure_requested_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `role` as read from the database (the CHECK constraint guarantees it parses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct RoleColumn(pub Role);

impl TryFrom<String> for RoleColumn {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse().map(RoleColumn)
    }
}

impl User {
    pub fn role(&self) -> Role {
        self.role.0
    }
    pub fn is_banned(&self) -> bool {
        self.banned_at.is_some()
    }
}

pub struct NewUser<'a> {
    pub email: Option<&'a Email>,
    pub phone: Option<&'a Phone>,
    pub password_hash: &'a str,
    pub name: &'a str,
    pub want_shop: bool,
    pub role: Role,
    /// `fr` or `en`; `None` follows `sms.default_locale`.
    pub locale: Option<&'a str>,
}

macro_rules! user_columns {
    () => {
        "id, email, phone, password_hash, name, role, want_shop, banned_at, \
         phone_verified_at, locale, erasure_requested_at, created_at, updated_at"
    };
}

/// The filters of [`list`], over binds $1..$4.
macro_rules! user_filter {
    () => {
        "($1::text IS NULL OR role = $1) AND ($2::bool IS NULL OR (banned_at IS NOT NULL) = $2) \
         AND ($3::bool IS NULL OR want_shop = $3) \
         AND ($4::text IS NULL OR name ILIKE $4 OR email ILIKE $4 OR phone ILIKE $4)"
    };
}

pub async fn insert(db: impl PgExecutor<'_>, user: NewUser<'_>) -> StoreResult<User> {
    sqlx::query_as(concat!(
        "INSERT INTO users (id, email, phone, password_hash, name, want_shop, role, locale) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ",
        user_columns!()
    ))
    .bind(new_id())
    .bind(user.email.map(Email::as_str))
    .bind(user.phone.map(Phone::as_str))
    .bind(user.password_hash)
    .bind(user.name)
    .bind(user.want_shop)
    .bind(user.role.as_str())
    .bind(user.locale)
    .fetch_one(db)
    .await
    .map_err(StoreError::from_sqlx)
}

pub async fn find_by_id(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<Option<User>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// The user, row-locked until the end of the transaction (for check-then-write updates).
pub async fn find_for_update(tx: &mut PgConnection, id: Uuid) -> StoreResult<Option<User>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE id = $1 FOR UPDATE"
    ))
    .bind(id)
    .fetch_optional(tx)
    .await?)
}

/// Whether the user's erasure was asked for, their row share-locked until the transaction
/// ends: a write of their data that checks this cannot interleave with the erasure's scrub.
pub async fn erasing(tx: &mut PgConnection, id: Uuid) -> StoreResult<bool> {
    let erasing: Option<bool> = sqlx::query_scalar(
        "SELECT erasure_requested_at IS NOT NULL FROM users WHERE id = $1 FOR SHARE",
    )
    .bind(id)
    .fetch_optional(tx)
    .await?;
    Ok(erasing.unwrap_or(true))
}

pub async fn find_by_email(db: impl PgExecutor<'_>, email: &Email) -> StoreResult<Option<User>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE lower(email) = $1 AND erasure_requested_at IS NULL"
    ))
    .bind(email.as_str())
    .fetch_optional(db)
    .await?)
}

pub async fn find_by_phone(db: impl PgExecutor<'_>, phone: &Phone) -> StoreResult<Option<User>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE phone = $1 AND erasure_requested_at IS NULL"
    ))
    .bind(phone.as_str())
    .fetch_optional(db)
    .await?)
}

/// The ids among `ids` that name no account.
pub async fn missing_ids(db: impl PgExecutor<'_>, ids: &[Uuid]) -> StoreResult<Vec<Uuid>> {
    Ok(sqlx::query_scalar(
        "SELECT wanted.id FROM unnest($1::uuid[]) AS wanted (id) \
         WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = wanted.id) ORDER BY wanted.id",
    )
    .bind(ids)
    .fetch_all(db)
    .await?)
}

#[derive(Debug, Default)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub banned: Option<bool>,
    pub want_shop: Option<bool>,
    /// Case-insensitive substring of name, email or phone.
    pub q: Option<String>,
}

pub async fn list(
    pool: &PgPool,
    filter: &UserFilter,
    page: PageRequest,
) -> StoreResult<Page<User>> {
    let pattern = filter.q.as_deref().map(|q| format!("%{}%", escape_like(q)));
    let role = filter.role.map(Role::as_str);
    let total: i64 =
        sqlx::query_scalar(concat!("SELECT count(*) FROM users WHERE ", user_filter!()))
            .bind(role)
            .bind(filter.banned)
            .bind(filter.want_shop)
            .bind(pattern.as_deref())
            .fetch_one(pool)
            .await?;
    let items = sqlx::query_as(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE ",
        user_filter!(),
        " ORDER BY created_at DESC, id DESC LIMIT $5 OFFSET $6"
    ))
    .bind(role)
    .bind(filter.banned)
    .bind(filter.want_shop)
    .bind(pattern.as_deref())
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(pool)
    .await?;
    Ok(Page::new(items, page, total))
}

/// Escapes `%`, `_` and `\` so user text is matched literally by LIKE.
pub fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

pub async fn set_banned(db: impl PgExecutor<'_>, id: Uuid, banned: bool) -> StoreResult<()> {
    sqlx::query(
        "UPDATE users SET banned_at = CASE WHEN $2 THEN COALESCE(banned_at, now()) ELSE NULL END, \
         updated_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(banned)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn set_role(db: impl PgExecutor<'_>, id: Uuid, role: Role) -> StoreResult<()> {
    sqlx::query("UPDATE users SET role = $2, updated_at = now() WHERE id = $1")
        .bind(id)
        .bind(role.as_str())
        .execute(db)
        .await?;
    Ok(())
}

/// Marks the phone of the account holding `phone` verified; the account, if there is one.
pub async fn verify_phone(db: impl PgExecutor<'_>, phone: &str) -> StoreResult<Option<User>> {
    Ok(sqlx::query_as(concat!(
        "UPDATE users SET phone_verified_at = COALESCE(phone_verified_at, now()), \
           updated_at = now() WHERE phone = $1 RETURNING ",
        user_columns!()
    ))
    .bind(phone)
    .fetch_optional(db)
    .await?)
}

/// Replaces the password (see `login_throttle::clear` for its lockouts).
pub async fn set_password(
    db: impl PgExecutor<'_>,
    id: Uuid,
    password_hash: &str,
) -> StoreResult<()> {
    sqlx::query("UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1")
        .bind(id)
        .bind(password_hash)
        .execute(db)
        .await?;
    Ok(())
}
