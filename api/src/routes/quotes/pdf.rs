//! GET /v1/quotes/{id}/pdf: the PDF of the quote's latest rendered offer, for its client, its
//! shop's seller and admins (bearer token), or for the holder of the signed link the client was
//! emailed (`?token=`, no bearer token needed: the link is the credential).

use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use comptoir_domain::quotes::{self, Quote};
use comptoir_domain::report_links;

use crate::auth::{AuthUser, MaybeUser};
use crate::download;
use crate::error::{ApiError, ApiResult};
use crate::routes::orders::scope;
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
pub struct QuotePdfQuery {
    /// The signed token of the emailed link; without it, a bearer token is required.
    pub token: Option<String>,
}

/// Who asks: the signed-in caller, or the holder of a valid link.
async fn reader(
    state: &AppState,
    id: Uuid,
    caller: Option<AuthUser>,
    token: Option<&str>,
) -> ApiResult<AuthUser> {
    let Some(token) = token else {
        return caller.ok_or(ApiError::Unauthorized {
            code: "unauthorized",
            detail: "a Bearer access token or the emailed link's token is required".to_owned(),
        });
    };
    let refused = |err| download::refused(err, "quote", "the latest offer's email");
    let secret = &state.settings.reports.signing_secret;
    let holder = report_links::verify_for(secret, quotes::LINK_SUBJECT, token, id, Utc::now())
        .map_err(refused)?;
    download::holder(state, holder)
        .await?
        .ok_or(ApiError::NotFound)
}

/// The latest offer's PDF; 409 `quote_pdf_pending` until it is rendered.
#[utoipa::path(get, path = "/v1/quotes/{id}/pdf", tag = "quotes", params(("id" = Uuid, Path), QuotePdfQuery),
    security(("bearer" = []), ()), responses(
    (status = 200, description = "the PDF, with a Content-Disposition file name"),
    (status = 401, body = crate::error::Problem),
    (status = 403, description = "invalid_download_link, download_link_expired", body = crate::error::Problem),
    (status = 404, body = crate::error::Problem),
    (status = 409, description = "quote_pdf_pending: no offer rendered yet", body = crate::error::Problem)))]
pub async fn download(
    state: web::Data<AppState>,
    caller: MaybeUser,
    id: web::Path<Uuid>,
    query: web::Query<QuotePdfQuery>,
) -> ApiResult<HttpResponse> {
    let reader = reader(&state, *id, caller.0, query.token.as_deref()).await?;
    let mut db = state.pool.acquire().await?;
    let quote: Quote = quotes::find(&mut db, *id, scope(&reader))
        .await?
        .ok_or(ApiError::NotFound)?;
    drop(db);
    let Some(key) = quotes::pdf_key(&state.pool, quote.id).await? else {
        return Err(ApiError::Conflict {
            code: "quote_pdf_pending",
            detail: "the quote has no rendered offer yet; try again shortly".to_owned(),
        });
    };
    let name = format!("{}.pdf", quote.number);
    download::attachment(&state, &key, "application/pdf", &name).await
}
