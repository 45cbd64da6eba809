//! /v1/orders/{id}/documents: an order's shipping documents (its packing slip once it is
//! `preparing`, its delivery note once `shipped`), rendered by the workers, listed for the
//! order's client, its shop's seller and admins with signed download links. Others get 404.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use comptoir_domain::order_documents::{self, Document, DocumentKind};
use comptoir_domain::orders;
use comptoir_domain::report_links::{self, LinkError};
use comptoir_jobs::documents::RenderOrderDocument;

use super::scope;
use crate::auth::AuthUser;
use crate::download;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// What the signature of a document link covers, besides the document.
const SUBJECT: &str = "order_document";

/// Asks for the document an order entering `status` gets (none for most statuses), in the
/// transaction of the status change: the row and its rendering job commit with it.
pub(crate) async fn request_for(
    state: &AppState,
    tx: &mut PgConnection,
    order_id: Uuid,
    status: &str,
) -> ApiResult<()> {
    let Some(kind) = DocumentKind::for_status(status) else {
        return Ok(());
    };
    if let Some(document_id) = order_documents::request(&mut *tx, order_id, kind).await? {
        let job = state
            .producer
            .enqueue(&mut *tx, &RenderOrderDocument { document_id })
            .await?;
        order_documents::set_job(&mut *tx, document_id, job).await?;
    }
    Ok(())
}

#[derive(Serialize, ToSchema)]
pub struct DocumentView {
    /// `packing_slip` or `delivery_note`.
    pub kind: String,
    /// `queued`, `succeeded` or `failed`.
    pub status: String,
    /// A signed link to the PDF once rendered; it works until `expires_at`.
    pub download_url: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

fn view_of(state: &AppState, document: Document, holder: Uuid) -> DocumentView {
    let settings = &state.settings;
    let expires = (document.status == "succeeded")
        .then(|| report_links::expiry(settings.reports.link_ttl_secs, None, Utc::now()))
        .flatten();
    let download_url = expires.map(|expires| {
        let token = report_links::sign_for(
            &settings.reports.signing_secret,
            SUBJECT,
            document.id,
            holder,
            expires,
        );
        format!(
            "{}/v1/orders/{}/documents/{}/download?token={token}",
            settings.server.public_url.trim_end_matches('/'),
            document.order_id,
            document.kind
        )
    });
    DocumentView {
        kind: document.kind,
        status: document.status,
        download_url,
        expires_at: expires,
        created_at: document.created_at,
        finished_at: document.finished_at,
    }
}

/// The order's shipping documents, packing slip first, each with a signed link once rendered.
#[utoipa::path(get, path = "/v1/orders/{id}/documents", tag = "orders", params(("id" = Uuid, Path)),
    security(("bearer" = [])), responses((status = 200, body = [DocumentView]),
    (status = 401, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<Vec<DocumentView>>> {
    orders::find(&state.pool, *id, scope(&caller))
        .await?
        .ok_or(ApiError::NotFound)?;
    let documents = order_documents::of_order(&state.pool, *id).await?;
    Ok(web::Json(
        documents
            .into_iter()
            .map(|document| view_of(&state, document, caller.id))
            .collect(),
    ))
}

#[derive(Deserialize, IntoParams)]
pub struct DocumentDownloadQuery {
    /// The signed token of the link from `GET /v1/orders/{id}/documents`.
    pub token: Option<String>,
}

/// Whether the link's holder still sees the order (a banned or removed account does not).
async fn holder_sees(state: &AppState, holder: Uuid, order_id: Uuid) -> ApiResult<bool> {
    let Some(caller) = download::holder(state, holder).await? else {
        return Ok(false);
    };
    Ok(orders::find(&state.pool, order_id, scope(&caller))
        .await?
        .is_some())
}

/// The document's PDF, for the holder of a valid link.
#[utoipa::path(get, path = "/v1/orders/{id}/documents/{kind}/download", tag = "orders",
    params(("id" = Uuid, Path), ("kind" = String, Path, description = "packing_slip or delivery_note"),
    DocumentDownloadQuery),
    responses((status = 200, description = "the PDF, with a Content-Disposition file name"),
    (status = 403, description = "invalid_download_link, download_link_expired", body = crate::error::Problem),
    (status = 404, description = "no such document, or not rendered", body = crate::error::Problem)))]
pub async fn download(
    state: web::Data<AppState>,
    path: web::Path<(Uuid, String)>,
    query: web::Query<DocumentDownloadQuery>,
) -> ApiResult<HttpResponse> {
    let (order_id, kind) = path.into_inner();
    let refused = |err| download::refused(err, "document", "GET /v1/orders/{id}/documents");
    let token = query.token.as_deref().ok_or(refused(LinkError::Invalid))?;
    let kind = DocumentKind::parse(&kind).ok_or(refused(LinkError::Invalid))?;
    let document = order_documents::find_for(&state.pool, order_id, kind)
        .await?
        .ok_or(refused(LinkError::Invalid))?;
    let holder = report_links::verify_for(
        &state.settings.reports.signing_secret,
        SUBJECT,
        token,
        document.id,
        Utc::now(),
    )
    .map_err(refused)?;
    let key = document
        .file_key
        .as_deref()
        .filter(|_| document.status == "succeeded");
    let (Some(key), true) = (key, holder_sees(&state, holder, order_id).await?) else {
        return Err(ApiError::NotFound);
    };
    let name = format!("{}-{order_id}.pdf", kind.as_str().replace('_', "-"));
    download::attachment(&state, key, "application/pdf", &name).await
}
