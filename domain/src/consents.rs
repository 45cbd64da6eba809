//! Marketing consents: whether a user agreed to marketing by email and by SMS, when and how the
//! current choice was made, and the history of every change. No row means no consent: marketing
//! is opt-in.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::notifications::Channel;
use crate::{StoreResult, new_id};

/// A channel marketing may use, each with its own consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentChannel {
    Email,
    Sms,
}

impl ConsentChannel {
    pub const ALL: [ConsentChannel; 2] = [ConsentChannel::Email, ConsentChannel::Sms];

    pub fn as_str(self) -> &'static str {
        match self {
            ConsentChannel::Email => "email",
            ConsentChannel::Sms => "sms",
        }
    }

    /// The consent a marketing notification on `channel` needs; in-app messages need none.
    pub fn for_notifications(channel: Channel) -> Option<Self> {
        match channel {
            Channel::Email => Some(ConsentChannel::Email),
            Channel::Sms => Some(ConsentChannel::Sms),
            Channel::InApp => None,
        }
    }
}

/// Where a choice came from: `api` (the user through `PUT /v1/me/consents`) and what the
/// request said about itself. Nothing secret: no token, no address.
#[derive(Debug, Clone)]
pub struct ConsentSource<'a> {
    pub source: &'a str,
    pub user_agent: Option<&'a str>,
}

/// The current choice on one channel.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Consent {
    pub channel: String,
    pub granted: bool,
    pub source: String,
    pub user_agent: Option<String>,
    pub set_at: DateTime<Utc>,
}

/// One recorded change.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ConsentChange {
    /// `email` or `sms`.
    pub channel: String,
    pub granted: bool,
    /// How it was made: `api`.
    pub source: String,
    pub user_agent: Option<String>,
    pub changed_at: DateTime<Utc>,
}

/// The user's current choices (channels never chosen are absent).
pub async fn current(db: impl PgExecutor<'_>, user_id: Uuid) -> StoreResult<Vec<Consent>> {
    Ok(sqlx::query_as(
        "SELECT channel, granted, source, user_agent, set_at FROM marketing_consents \
         WHERE user_id = $1 ORDER BY channel",
    )
    .bind(user_id)
    .fetch_all(db)
    .await?)
}

/// The user's latest `limit` changes, newest first.
pub async fn history(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    limit: i64,
) -> StoreResult<Vec<ConsentChange>> {
    Ok(sqlx::query_as(
        "SELECT channel, granted, source, user_agent, changed_at FROM marketing_consent_changes \
         WHERE user_id = $1 ORDER BY changed_at DESC, id DESC LIMIT $2",
    )
    .bind(user_id)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Sets the user's choice on `channel`. A choice equal to the current one changes nothing and
/// records nothing; any other is stored with its source and added to the history. Returns
/// whether it changed.
pub async fn set(
    tx: &mut PgConnection,
    user_id: Uuid,
    channel: ConsentChannel,
    granted: bool,
    source: &ConsentSource<'_>,
) -> StoreResult<bool> {
    let recorded = sqlx::query(
        "WITH changed AS ( \
           INSERT INTO marketing_consents (user_id, channel, granted, source, user_agent) \
           VALUES ($1, $2, $3, $4, $5) \
           ON CONFLICT (user_id, channel) DO UPDATE SET granted = EXCLUDED.granted, \
             source = EXCLUDED.source, user_agent = EXCLUDED.user_agent, set_at = now() \
           WHERE marketing_consents.granted <> EXCLUDED.granted RETURNING 1) \
         INSERT INTO marketing_consent_changes (id, user_id, channel, granted, source, user_agent) \
         SELECT $6, $1, $2, $3, $4, $5 FROM changed",
    )
    .bind(user_id)
    .bind(channel.as_str())
    .bind(granted)
    .bind(source.source)
    .bind(source.user_agent)
    .bind(new_id())
    .execute(tx)
    .await?;
    Ok(recorded.rows_affected() > 0)
}
