//! Files behind signed links (reports, shipping documents): the refusal of a bad link, and the
//! stored file streamed as an attachment.

use actix_web::HttpResponse;
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};

use uuid::Uuid;

use comptoir_domain::report_links::LinkError;
use comptoir_domain::users;
use comptoir_storage::StorageError;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// 403 for a link that does not open this file; `renew_at` says where a fresh one is handed out.
pub fn refused(err: LinkError, what: &str, renew_at: &str) -> ApiError {
    let (code, detail) = match err {
        LinkError::Invalid => (
            "invalid_download_link",
            format!("the download link is not valid for this {what}"),
        ),
        LinkError::Expired => (
            "download_link_expired",
            format!("the download link has expired; get a new one from {renew_at}"),
        ),
    };
    ApiError::Forbidden { code, detail }
}

/// The holder of a link, as a caller, while their account is usable (a banned, erased or
/// removed one is not): the file is theirs only while they would see it signed in.
pub async fn holder(state: &AppState, holder: Uuid) -> ApiResult<Option<AuthUser>> {
    let user = users::find_by_id(&state.pool, holder).await?;
    Ok(user
        .filter(|user| user.banned_at.is_none() && user.erasure_requested_at.is_none())
        .map(|user| AuthUser {
            id: user.id,
            role: user.role.0,
        }))
}

/// The object at `key` as a download named `name`; 404 when it is gone.
pub async fn attachment(
    state: &AppState,
    key: &str,
    content_type: &str,
    name: &str,
) -> ApiResult<HttpResponse> {
    let file = state.storage.get(key).await.map_err(|err| match err {
        StorageError::NotFound(_) => ApiError::NotFound,
        other => ApiError::internal(other),
    })?;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(name.to_owned())],
        })
        // The URL carries a credential: keep the file out of shared caches.
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .no_chunking(file.size)
        .streaming(file.bytes))
}
