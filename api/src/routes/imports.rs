//! Bulk product imports: `POST /v1/products/bulk` takes a CSV (and a ZIP of images) as a
//! streamed multipart upload into object storage, then creates the import and its job in one
//! transaction; `GET /v1/imports/{id}` shows progress; `GET /v1/imports/{id}/errors` streams
//! the failed rows as CSV.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use comptoir_domain::imports::{self, Import, NewImport, RowError};
use comptoir_domain::{new_id, shops};
use comptoir_jobs::imports::RunImport;

use crate::auth::{AuthUser, Merchant};
use crate::error::{ApiError, ApiResult};
use crate::idempotency::{IdempotencyKey, idempotent};
use crate::multipart::{self, Fields, StoredFile};
use crate::routes::products::may_manage;
use crate::state::AppState;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportView {
    pub id: Uuid,
    pub shop_id: Uuid,
    /// queued → running → succeeded | failed
    pub status: String,
    pub dry_run: bool,
    pub currency: String,
    pub progress: ImportProgress,
    /// Why the import failed as a whole (a hostile ZIP, an unknown header...).
    pub error: Option<String>,
    /// Where the failed rows can be downloaded as CSV, when there are any.
    pub errors_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportProgress {
    pub total_rows: i32,
    pub processed: i32,
    pub created: i32,
    pub updated: i32,
    pub failed: i32,
}

impl From<Import> for ImportView {
    fn from(import: Import) -> Self {
        Self {
            errors_url: (import.failed > 0).then(|| format!("/v1/imports/{}/errors", import.id)),
            id: import.id,
            shop_id: import.shop_id,
            status: import.status,
            dry_run: import.dry_run,
            currency: import.currency,
            progress: ImportProgress {
                total_rows: import.total_rows,
                processed: import.processed,
                created: import.created,
                updated: import.updated,
                failed: import.failed,
            },
            error: import.error,
            created_at: import.created_at,
            started_at: import.started_at,
            finished_at: import.finished_at,
        }
    }
}

/// The multipart body of `POST /v1/products/bulk`, for the OpenAPI document.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct BulkImportForm {
    shop_id: Uuid,
    /// The products: our columns or a Shopify product export; UTF-8, `,` or `;`.
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
    /// The images the rows name, as a ZIP.
    #[schema(format = Binary, value_type = Option<String>)]
    images: Option<Vec<u8>>,
    /// Validate and count without writing.
    dry_run: Option<bool>,
    /// Currency of prices in rows that name none (default from configuration).
    currency: Option<String>,
}

/// The fields of a bulk upload once read; the files are already in storage.
struct BulkForm {
    shop_id: Option<Uuid>,
    csv: Option<StoredFile>,
    images: Option<StoredFile>,
    dry_run: bool,
    currency: Option<String>,
}

#[utoipa::path(post, path = "/v1/products/bulk", tag = "imports",
    request_body(content = BulkImportForm, content_type = "multipart/form-data"),
    params(("Idempotency-Key" = Option<String>, Header, description = "replays return the first response")),
    security(("bearer" = [])),
    responses((status = 202, body = ImportView, headers(("Location" = String))),
    (status = 404, description = "no such shop of yours", body = crate::error::Problem),
    (status = 413, description = "a file is over the configured limit", body = crate::error::Problem),
    (status = 415, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn bulk(
    state: web::Data<AppState>,
    Merchant(caller): Merchant,
    key: IdempotencyKey,
    request: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let import_id = new_id();
    let outcome = accept_upload(&state, &caller, &key, import_id, &request, payload).await;
    // Uploads of a refused request, or of a replay (the first request's files are the ones
    // kept), are deleted.
    if !matches!(&outcome, Ok((_, true))) {
        let prefix = upload_prefix(import_id);
        if let Err(error) = state.storage.delete_prefix(&prefix).await {
            tracing::warn!(%error, prefix, "could not delete a refused upload");
        }
    }
    outcome.map(|(response, _)| response)
}

fn upload_prefix(import_id: Uuid) -> String {
    format!("imports/{import_id}")
}

/// Reads the upload and creates the import; the flag says whether the uploads are kept.
async fn accept_upload(
    state: &AppState,
    caller: &AuthUser,
    key: &IdempotencyKey,
    import_id: Uuid,
    request: &HttpRequest,
    payload: web::Payload,
) -> ApiResult<(HttpResponse, bool)> {
    let form = read_form(state, caller, import_id, request, payload).await?;
    let shop_id = form
        .shop_id
        .ok_or_else(|| ApiError::field("shop_id", "is required"))?;
    check_shop(state, caller, shop_id).await?;
    let csv = form
        .csv
        .ok_or_else(|| ApiError::field("file", "a CSV file is required"))?;
    let currency = form
        .currency
        .unwrap_or_else(|| state.settings.imports.default_currency.clone());
    let request_identity = json!({
        "shop_id": shop_id,
        "dry_run": form.dry_run,
        "currency": currency,
        "file": hex::encode(csv.sha256),
        "images": form.images.as_ref().map(|images| hex::encode(images.sha256)),
    });
    let reply = idempotent(
        state,
        caller.id,
        "products.bulk",
        key,
        &request_identity,
        async |tx| {
            let job_id = state
                .producer
                .enqueue(&mut *tx, &RunImport { import_id })
                .await?;
            let import = imports::insert(
                &mut *tx,
                NewImport {
                    id: import_id,
                    shop_id,
                    requested_by: caller.id,
                    dry_run: form.dry_run,
                    currency: &currency,
                    csv_key: &csv.key,
                    images_key: form.images.as_ref().map(|images| images.key.as_str()),
                    job_id,
                },
            )
            .await?;
            let view =
                serde_json::to_value(ImportView::from(import)).map_err(ApiError::internal)?;
            Ok((StatusCode::ACCEPTED, view))
        },
    )
    .await?;
    let id = reply.body["id"].as_str().unwrap_or_default().to_owned();
    let kept = !reply.replayed;
    Ok((reply.into_response(Some(format!("/v1/imports/{id}"))), kept))
}

async fn read_form(
    state: &AppState,
    caller: &AuthUser,
    import_id: Uuid,
    request: &HttpRequest,
    payload: web::Payload,
) -> ApiResult<BulkForm> {
    let limits = &state.settings.imports;
    let mut form = BulkForm {
        shop_id: None,
        csv: None,
        images: None,
        dry_run: false,
        currency: None,
    };
    let mut fields = Fields::new(request, payload);
    while let Some(field) = fields.next().await? {
        let prefix = upload_prefix(import_id);
        match multipart::field_name(&field).as_str() {
            "shop_id" => {
                let text = multipart::read_text(field).await?;
                let shop_id = Uuid::parse_str(&text)
                    .map_err(|_| ApiError::field("shop_id", "must be a UUID"))?;
                // Checked before the files arrive, when the client sends it first.
                check_shop(state, caller, shop_id).await?;
                form.shop_id = Some(shop_id);
            }
            "file" if form.csv.is_none() => {
                let key = format!("{prefix}/products.csv");
                form.csv = Some(
                    multipart::store_file(&state.storage, field, key, limits.max_csv_bytes).await?,
                );
            }
            "images" if form.images.is_none() => {
                let key = format!("{prefix}/images.zip");
                form.images = Some(
                    multipart::store_file(&state.storage, field, key, limits.max_zip_bytes).await?,
                );
            }
            "dry_run" => {
                form.dry_run = match multipart::read_text(field).await?.as_str() {
                    "true" | "1" | "on" => true,
                    "false" | "0" | "off" | "" => false,
                    _ => return Err(ApiError::field("dry_run", "must be true or false")),
                };
            }
            "currency" => {
                let code = multipart::read_text(field).await?.to_ascii_uppercase();
                if !comptoir_domain::currencies::is_currency(&code) {
                    return Err(ApiError::field(
                        "currency",
                        "must be an ISO 4217 code such as XOF",
                    ));
                }
                form.currency = Some(code);
            }
            other => {
                return Err(ApiError::field(
                    other,
                    "unknown field: expected shop_id, file, images, dry_run, currency (once each)",
                ));
            }
        }
    }
    Ok(form)
}

/// The shop must exist and be the caller's (admins: any); 404 otherwise, leaking nothing.
async fn check_shop(state: &AppState, caller: &AuthUser, shop_id: Uuid) -> ApiResult<()> {
    match shops::find(&state.pool, shop_id).await? {
        Some(shop) if may_manage(caller, shop.owner_id) => Ok(()),
        _ => Err(ApiError::NotFound),
    }
}

/// The import, if the caller requested it, owns its shop or is an admin.
async fn visible_import(state: &AppState, caller: &AuthUser, id: Uuid) -> ApiResult<Import> {
    let import = imports::find(&state.pool, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if import.requested_by == caller.id || caller.role.is_admin() {
        return Ok(import);
    }
    match shops::find(&state.pool, import.shop_id).await? {
        Some(shop) if may_manage(caller, shop.owner_id) => Ok(import),
        _ => Err(ApiError::NotFound),
    }
}

#[utoipa::path(get, path = "/v1/imports/{id}", tag = "imports", security(("bearer" = [])),
    responses((status = 200, body = ImportView), (status = 403, description = "not a seller or admin", body = crate::error::Problem),
    (status = 404, body = crate::error::Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    Merchant(caller): Merchant,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let import = visible_import(&state, &caller, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ImportView::from(import)))
}

#[utoipa::path(get, path = "/v1/imports/{id}/errors", tag = "imports", security(("bearer" = [])),
    responses((status = 200, description = "CSV: line,column,reason", content_type = "text/csv"),
    (status = 403, description = "not a seller or admin", body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn errors(
    state: web::Data<AppState>,
    Merchant(caller): Merchant,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let import = visible_import(&state, &caller, id.into_inner()).await?;
    let pool = state.pool.clone();
    let header =
        futures::stream::once(async { Ok(web::Bytes::from_static(b"line,column,reason\r\n")) });
    let rows = error_lines(pool, import.id);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"import-{}-errors.csv\"", import.id),
        ))
        .streaming(header.chain(rows)))
}

/// The error rows as CSV lines, read from the database a page at a time.
fn error_lines(
    pool: comptoir_domain::PgPool,
    import_id: Uuid,
) -> impl futures::Stream<Item = Result<web::Bytes, ApiError>> {
    const PAGE: i64 = 1000;
    futures::stream::try_unfold(Some((0, 0)), move |cursor| {
        let pool = pool.clone();
        async move {
            let Some(cursor) = cursor else {
                return Ok(None);
            };
            let (rows, next) = imports::errors_page(&pool, import_id, cursor, PAGE).await?;
            let lines: String = rows.iter().map(csv_line).collect();
            Ok::<_, ApiError>(Some((web::Bytes::from(lines), next)))
        }
    })
}

/// One RFC 4180 line; fields are quoted, and a leading `=`, `+`, `-` or `@` is neutralised so a
/// spreadsheet never runs a reason (which may quote the user's own cell) as a formula.
fn csv_line(row: &RowError) -> String {
    let quote = |text: &str| {
        let text = if text.starts_with(['=', '+', '-', '@']) {
            format!("'{text}")
        } else {
            text.to_owned()
        };
        format!("\"{}\"", text.replace('"', "\"\""))
    };
    format!(
        "{},{},{}\r\n",
        row.line,
        quote(&row.column),
        quote(&row.reason)
    )
}
