//! /v1/notifications: admins send a message to users or to a role (a batch, fanned out by a
//! worker); every user lists their own notifications and marks them read or unread.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgConnection;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use comptoir_domain::action_log::{self, Action};
use comptoir_domain::new_id;
use comptoir_domain::notifications::{
    self, Audience, Batch, Channel, NewBatch, Notification, NotificationFilter,
};
use comptoir_domain::pagination::Page;
use comptoir_domain::types::Role;
use comptoir_domain::users;
use comptoir_jobs::notifications::FanOutNotification;

use crate::auth::{Admin, AuthUser};
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::extract::DeferredJson;
use crate::idempotency::{IdempotencyKey, idempotent};
use crate::routes::users::page_of;
use crate::state::AppState;
use crate::validate::{add, check_text};

const MAX_USER_IDS: usize = 1000;
const MAX_SUBJECT_CHARS: usize = 200;
const MAX_BODY_CHARS: usize = 5000;
/// The longest text the SMS providers take (Twilio: 1600 characters, ten segments).
const MAX_SMS_BODY_CHARS: usize = 1600;
/// Unknown user ids named in a 422, at most.
const MAX_IDS_REPORTED: usize = 10;

#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNotificationRequest {
    /// The recipients, 1 to 1000 user ids; give either this or `role`.
    pub user_ids: Option<Vec<Uuid>>,
    /// Every user with this role (`client`, `seller`, `maintainer`, `superadmin`); give either
    /// this or `user_ids`.
    #[schema(example = "seller")]
    pub role: Option<String>,
    /// `email`, `sms` (texted to recipients with a verified phone) or `in_app`.
    #[schema(value_type = Channel)]
    pub channel: String,
    /// Required for email; one line of up to 200 characters.
    pub subject: Option<String>,
    /// 1 to 5000 characters (1600 for `sms`).
    pub body: String,
    /// A marketing message (default `false`): an email or SMS batch then reaches only the users
    /// who consented to marketing on that channel (`PUT /v1/me/consents`); the others are
    /// counted in the batch's `skipped_without_consent`. In-app messages need no consent.
    #[serde(default)]
    pub marketing: bool,
}

/// A request that passed validation.
struct Validated {
    channel: Channel,
    audience: Audience,
    subject: Option<String>,
    body: String,
    marketing: bool,
}

fn audience(
    errors: &mut FieldErrors,
    user_ids: Option<Vec<Uuid>>,
    role: Option<String>,
) -> Option<Audience> {
    match (user_ids, role) {
        (Some(_), Some(_)) => {
            add(
                errors,
                "user_ids",
                "give either `user_ids` or `role`, not both",
            );
            None
        }
        (None, None) => {
            add(errors, "user_ids", "give `user_ids` or `role`");
            None
        }
        (Some(mut ids), None) => {
            ids.sort_unstable();
            ids.dedup();
            if (1..=MAX_USER_IDS).contains(&ids.len()) {
                Some(Audience::Users(ids))
            } else {
                add(
                    errors,
                    "user_ids",
                    format!("must hold 1 to {MAX_USER_IDS} distinct ids"),
                );
                None
            }
        }
        (None, Some(role)) => role
            .parse::<Role>()
            .map_err(|err| add(errors, "role", err))
            .ok()
            .map(Audience::Role),
    }
}

fn validate(request: NewNotificationRequest) -> ApiResult<Validated> {
    let mut errors = FieldErrors::new();
    let channel = request
        .channel
        .parse::<Channel>()
        .map_err(|err| add(&mut errors, "channel", err))
        .ok();
    let audience = audience(&mut errors, request.user_ids, request.role);
    match &request.subject {
        Some(subject) => {
            check_text(&mut errors, "subject", subject, MAX_SUBJECT_CHARS, true);
            if subject.contains('\n') {
                add(&mut errors, "subject", "must be one line");
            }
        }
        None if channel == Some(Channel::Email) => {
            add(&mut errors, "subject", "is required for the email channel");
        }
        None => {}
    }
    let max_body = match channel {
        Some(Channel::Sms) => MAX_SMS_BODY_CHARS,
        _ => MAX_BODY_CHARS,
    };
    check_text(&mut errors, "body", &request.body, max_body, true);
    match (channel, audience) {
        (Some(channel), Some(audience)) if errors.is_empty() => Ok(Validated {
            channel,
            audience,
            subject: request.subject.map(|s| s.trim().to_owned()),
            body: request.body,
            marketing: request.marketing,
        }),
        _ => Err(ApiError::Validation {
            detail: "the notification is invalid".to_owned(),
            errors,
        }),
    }
}

/// Accepts a notification for its audience: the batch is recorded and one fan-out job enqueued
/// in the same transaction; a worker then creates one notification per recipient (banned users
/// skipped) and, for email, sends one email each. SMS notifications are stored only until the SMS
/// provider is wired. Poll the batch at `Location`.
#[utoipa::path(post, path = "/v1/notifications", tag = "notifications", request_body = NewNotificationRequest,
    security(("bearer" = [])), responses(
    (status = 202, body = Batch, headers(("Location" = String, description = "the batch, to poll"))),
    (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
    (status = 422, body = crate::error::Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    Admin(actor): Admin,
    key: IdempotencyKey,
    body: DeferredJson<NewNotificationRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.read().await?;
    let request = validate(body.clone())?;
    let reply = idempotent(
        &state,
        actor.id,
        "notifications.create",
        &key,
        &body,
        async |tx: &mut PgConnection| enqueue_batch(&state, tx, actor.id, &request).await,
    )
    .await?;
    let location = reply.body["id"]
        .as_str()
        .map(|id| format!("/v1/notifications/batches/{id}"));
    Ok(reply.into_response(location))
}

/// Checks the audience, then writes the batch, its fan-out job and the audit entry.
async fn enqueue_batch(
    state: &AppState,
    tx: &mut PgConnection,
    actor_id: Uuid,
    request: &Validated,
) -> ApiResult<(StatusCode, serde_json::Value)> {
    if let Audience::Users(ids) = &request.audience {
        let missing = users::missing_ids(&mut *tx, ids).await?;
        if !missing.is_empty() {
            let shown: Vec<String> = missing
                .iter()
                .take(MAX_IDS_REPORTED)
                .map(Uuid::to_string)
                .collect();
            return Err(ApiError::field(
                "user_ids",
                format!(
                    "{} id(s) name no account: {}",
                    missing.len(),
                    shown.join(", ")
                ),
            ));
        }
    }
    let batch_id = new_id();
    let job_id = state
        .producer
        .enqueue(&mut *tx, &FanOutNotification { batch_id })
        .await?;
    let batch = notifications::insert_batch(
        &mut *tx,
        NewBatch {
            id: batch_id,
            created_by: actor_id,
            channel: request.channel,
            audience: &request.audience,
            subject: request.subject.as_deref(),
            body: &request.body,
            marketing: request.marketing,
            job_id,
        },
    )
    .await?;
    let meta = json!({
        "channel": batch.channel, "role": batch.role, "marketing": batch.marketing,
        "user_count": batch.user_ids.as_ref().map(Vec::len), "job_id": job_id,
    });
    let action = Action {
        actor_id,
        action: "notification.batch_created",
        target_type: "notification_batch",
        target_id: batch.id,
        meta,
    };
    action_log::record(&mut *tx, action).await?;
    Ok((
        StatusCode::ACCEPTED,
        serde_json::to_value(&batch).map_err(ApiError::internal)?,
    ))
}

/// A notification batch and the progress of its fan-out.
#[utoipa::path(get, path = "/v1/notifications/batches/{id}", tag = "notifications", params(("id" = Uuid, Path)),
    security(("bearer" = [])), responses((status = 200, body = Batch), (status = 403, body = crate::error::Problem),
    (status = 404, body = crate::error::Problem)))]
pub async fn get_batch(
    state: web::Data<AppState>,
    _admin: Admin,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<Batch>> {
    Ok(web::Json(
        notifications::find_batch(&state.pool, *id)
            .await?
            .ok_or(ApiError::NotFound)?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NotificationQuery {
    /// Admins: one user's notifications (others may only name themselves).
    pub user_id: Option<Uuid>,
    /// The notifications of one batch.
    pub batch_id: Option<Uuid>,
    /// `true`: unread only; `false`: read only.
    pub unread: Option<bool>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct NotificationPage {
    pub items: Vec<Notification>,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
    pub total_is_capped: bool,
}

/// The caller's notifications, newest first; admins see everyone's.
#[utoipa::path(get, path = "/v1/notifications", tag = "notifications", params(NotificationQuery),
    security(("bearer" = [])), responses((status = 200, body = NotificationPage),
    (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
    (status = 422, body = crate::error::Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: AuthUser,
    query: web::Query<NotificationQuery>,
) -> ApiResult<web::Json<Page<Notification>>> {
    let query = query.into_inner();
    let user_id = if caller.role.is_admin() {
        query.user_id
    } else if query.user_id.is_none_or(|id| id == caller.id) {
        Some(caller.id)
    } else {
        return Err(ApiError::Forbidden {
            code: "forbidden",
            detail: "only admins see other users' notifications".to_owned(),
        });
    };
    let filter = NotificationFilter {
        user_id,
        batch_id: query.batch_id,
        unread: query.unread,
    };
    Ok(web::Json(
        notifications::list(&state.pool, &filter, page_of(query.page, query.per_page)).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationUpdate {
    /// `true` marks it read (keeping the first read time), `false` unread.
    pub read: bool,
}

/// Marks one of the caller's notifications read or unread; anyone else's is 404.
#[utoipa::path(patch, path = "/v1/notifications/{id}", tag = "notifications", request_body = NotificationUpdate,
    params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 200, body = Notification),
    (status = 401, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
    (status = 422, body = crate::error::Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<Uuid>,
    body: DeferredJson<NotificationUpdate>,
) -> ApiResult<web::Json<Notification>> {
    let body = body.read().await?;
    Ok(web::Json(
        notifications::set_read(&state.pool, *id, caller.id, body.read)
            .await?
            .ok_or(ApiError::NotFound)?,
    ))
}
