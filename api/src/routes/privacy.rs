//! Personal data: every user can have a copy of everything held about them (a ZIP written by
//! the workers, behind a signed link emailed to them) and can have it erased; a superadmin
//! erases an account for a request received outside the app.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use comptoir_domain::privacy::erasure::{self, Erasure, ErasureSource, Refusal};
use comptoir_domain::privacy::exports::{self, DataExport, LINK_SUBJECT, Requested};
use comptoir_domain::report_links::{self, LinkError};
use comptoir_domain::types::Role;
use comptoir_domain::users;
use comptoir_jobs::privacy::{EraseUser, ExportPersonalData};

use crate::auth::{Admin, AuthUser, password};
use crate::download;
use crate::error::{ApiError, ApiResult};
use crate::extract::DeferredJson;
use crate::routes::reports::DownloadQuery;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct DataExportView {
    pub id: Uuid,
    /// `queued`, `running`, `succeeded`, `failed` or `expired` (the file was deleted).
    pub status: String,
    pub error: Option<String>,
    /// The ZIP, while it is kept; the same signed link the email carries.
    pub download_url: Option<String>,
    /// When the link stops working and the file is deleted.
    pub expires_at: Option<DateTime<Utc>>,
    pub size_bytes: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl DataExportView {
    fn of(state: &AppState, export: DataExport) -> Self {
        let link = export.link(&state.settings.reports.signing_secret, Utc::now());
        let base = state.settings.server.public_url.trim_end_matches('/');
        Self {
            id: export.id,
            status: export.status,
            error: export.error,
            download_url: link.as_ref().map(|(path, _)| format!("{base}{path}")),
            expires_at: export.expires_at,
            size_bytes: export.file_size,
            created_at: export.created_at,
            finished_at: export.finished_at,
        }
    }
}

fn location(export: &DataExport) -> String {
    format!("/v1/me/data-exports/{}", export.id)
}

/// Asks for a copy of everything held about the caller. A worker writes the ZIP and emails a
/// signed link, valid `privacy.export_ttl_secs` (7 days); the file is deleted then. While one
/// export is in progress, asking again answers that one.
#[utoipa::path(post, path = "/v1/me/data-export", tag = "personal data", security(("bearer" = [])),
    responses((status = 202, body = DataExportView, description = "queued (or already in progress); `Location` names it"),
    (status = 401, body = crate::error::Problem),
    (status = 429, description = "rate_limited: `privacy.exports_per_day` exports in 24 hours", body = crate::error::Problem)))]
pub async fn request_export(
    state: web::Data<AppState>,
    caller: AuthUser,
) -> ApiResult<HttpResponse> {
    let mut tx = state.pool.begin().await?;
    let per_day = state.settings.privacy.exports_per_day;
    let export = match exports::request(&mut tx, caller.id, per_day).await? {
        Requested::InProgress(export) => export,
        Requested::TooMany { retry_at } => {
            let wait = (retry_at - Utc::now()).num_seconds().max(1);
            return Err(ApiError::RateLimited {
                retry_after_secs: u64::try_from(wait).unwrap_or(1),
                limit: Some(per_day),
            });
        }
        Requested::New(export) => {
            let job = ExportPersonalData {
                export_id: export.id,
            };
            let job_id = state.producer.enqueue(&mut tx, &job).await?;
            exports::set_job(&mut tx, export.id, job_id).await?;
            tracing::info!(export_id = %export.id, user_id = %caller.id, "data export requested");
            export
        }
    };
    state.producer.commit(tx).await?;
    Ok(HttpResponse::Accepted()
        .insert_header(("Location", location(&export)))
        .json(DataExportView::of(&state, export)))
}

/// One of the caller's exports: its status, then its download link until it expires.
#[utoipa::path(get, path = "/v1/me/data-exports/{id}", tag = "personal data", params(("id" = Uuid, Path)),
    security(("bearer" = [])), responses((status = 200, body = DataExportView),
    (status = 401, body = crate::error::Problem), (status = 404, description = "not an export of the caller", body = crate::error::Problem)))]
pub async fn get_export(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<DataExportView>> {
    let export = exports::find(&state.pool, *id, caller.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(web::Json(DataExportView::of(&state, export)))
}

/// The ZIP, for the holder of the signed link (no bearer token needed) while their account is
/// usable.
#[utoipa::path(get, path = "/v1/me/data-exports/{id}/download", tag = "personal data",
    params(("id" = Uuid, Path), DownloadQuery),
    responses((status = 200, description = "the ZIP (application/zip) as an attachment"),
    (status = 403, description = "invalid_download_link, download_link_expired", body = crate::error::Problem),
    (status = 404, description = "the export or its file is gone", body = crate::error::Problem)))]
pub async fn download_export(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: web::Query<DownloadQuery>,
) -> ApiResult<HttpResponse> {
    let refused = |err| download::refused(err, "export", "GET /v1/me/data-exports/{id}");
    let token = query.token.as_deref().ok_or(refused(LinkError::Invalid))?;
    let secret = &state.settings.reports.signing_secret;
    let holder =
        report_links::verify_for(secret, LINK_SUBJECT, token, *id, Utc::now()).map_err(refused)?;
    let holder = download::holder(&state, holder)
        .await?
        .ok_or(ApiError::NotFound)?;
    let export = exports::find(&state.pool, *id, holder.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let key = export.file_key.as_deref().ok_or(ApiError::NotFound)?;
    download::attachment(&state, key, "application/zip", &export.file_name()).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErasureRequest {
    /// The account's password, asked again.
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct ErasureView {
    pub user_id: Uuid,
    /// `queued`, `scrubbed` (stored files being deleted) or `done`.
    pub status: String,
    /// `self` or `admin`.
    pub source: String,
    pub requested_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<Erasure> for ErasureView {
    fn from(erasure: Erasure) -> Self {
        Self {
            user_id: erasure.user_id,
            status: erasure.status,
            source: erasure.source,
            requested_at: erasure.requested_at,
            finished_at: erasure.finished_at,
        }
    }
}

fn refused(refusal: Refusal) -> ApiError {
    let (code, detail) = match refusal {
        Refusal::ShopsOpen => (
            "shops_open",
            "the account owns an active shop: close it (or have it skipped) first",
        ),
        Refusal::LastSuperadmin => (
            "last_superadmin",
            "the account is the last superadmin: make another superadmin first",
        ),
    };
    ApiError::Conflict {
        code,
        detail: detail.to_owned(),
    }
}

/// Records the erasure, ends the sessions, stops sign-in and queues the job, in one
/// transaction; a repeat answers the first request.
async fn erase(
    state: &AppState,
    user_id: Uuid,
    source: ErasureSource,
    requested_by: Uuid,
) -> ApiResult<HttpResponse> {
    let mut tx = state.pool.begin().await?;
    let (erasure, new) = erasure::request(&mut tx, user_id, source, requested_by)
        .await?
        .map_err(refused)?;
    if new {
        let job_id = state
            .producer
            .enqueue_unique(&mut tx, &EraseUser { user_id }, format!("erase:{user_id}"))
            .await?;
        if let Some(job_id) = job_id {
            erasure::set_job(&mut tx, user_id, job_id).await?;
        }
        tracing::info!(%user_id, %requested_by, "erasure requested");
    }
    state.producer.commit(tx).await?;
    Ok(HttpResponse::build(StatusCode::ACCEPTED).json(ErasureView::from(erasure)))
}

/// Erases the caller's personal data (the password asked again): sessions end and sign-in
/// stops at once; a job then replaces name, email, phone, addresses and what they wrote with
/// anonymous values everywhere, keeps orders and payments for accounting without them, and
/// deletes notifications, sessions, codes and stored files. The email and phone can register
/// again afterwards.
#[utoipa::path(delete, path = "/v1/me", tag = "personal data", request_body = ErasureRequest,
    security(("bearer" = [])), responses((status = 202, body = ErasureView),
    (status = 401, body = crate::error::Problem),
    (status = 403, description = "password_incorrect", body = crate::error::Problem),
    (status = 409, description = "shops_open: the account owns an active shop; last_superadmin", body = crate::error::Problem),
    (status = 422, body = crate::error::Problem)))]
pub async fn erase_me(
    state: web::Data<AppState>,
    caller: AuthUser,
    body: DeferredJson<ErasureRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.read().await?;
    let user = users::find_by_id(&state.pool, caller.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !password::verify(body.password, user.password_hash).await? {
        return Err(ApiError::Forbidden {
            code: "password_incorrect",
            detail: "the password is not this account's".to_owned(),
        });
    }
    erase(&state, caller.id, ErasureSource::Own, caller.id).await
}

/// Erases a user's personal data for a request received outside the app (superadmins;
/// audited). The same erasure as `DELETE /v1/me`; a repeat answers the first.
#[utoipa::path(post, path = "/v1/admin/users/{id}/erase", tag = "personal data", params(("id" = Uuid, Path)),
    security(("bearer" = [])), responses((status = 202, body = ErasureView),
    (status = 401, body = crate::error::Problem), (status = 403, description = "not a superadmin", body = crate::error::Problem),
    (status = 404, body = crate::error::Problem),
    (status = 409, description = "shops_open: the account owns an active shop; last_superadmin", body = crate::error::Problem)))]
pub async fn erase_user(
    state: web::Data<AppState>,
    Admin(actor): Admin,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    if actor.role != Role::Superadmin {
        return Err(ApiError::Forbidden {
            code: "forbidden",
            detail: "only a superadmin erases accounts".to_owned(),
        });
    }
    users::find_by_id(&state.pool, *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    erase(&state, *id, ErasureSource::Admin, actor.id).await
}
