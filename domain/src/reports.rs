//! Reports: the request rows (`reports` table) and their life cycle. The rows a report contains
//! are read by [`crate::report_rows`]; download links are signed by [`crate::report_links`].

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

use crate::pagination::{Page, PageRequest};
use crate::{StoreResult, new_id};

/// What a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportType {
    SalesSummary,
    OrdersDetail,
    ProductsStock,
    ShopPerformance,
    Payments,
}

impl ReportType {
    pub const ALL: [ReportType; 5] = [
        ReportType::SalesSummary,
        ReportType::OrdersDetail,
        ReportType::ProductsStock,
        ReportType::ShopPerformance,
        ReportType::Payments,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportType::SalesSummary => "sales_summary",
            ReportType::OrdersDetail => "orders_detail",
            ReportType::ProductsStock => "products_stock",
            ReportType::ShopPerformance => "shop_performance",
            ReportType::Payments => "payments",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == value)
    }

    /// The human title (PDF heading, email).
    pub fn title(self) -> &'static str {
        match self {
            ReportType::SalesSummary => "Sales summary",
            ReportType::OrdersDetail => "Orders detail",
            ReportType::ProductsStock => "Products and stock",
            ReportType::ShopPerformance => "Shop performance",
            ReportType::Payments => "Payments",
        }
    }
}

/// The file format of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    Pdf,
    Xlsx,
    Csv,
    Json,
}

impl ReportFormat {
    pub const ALL: [ReportFormat; 4] = [
        ReportFormat::Pdf,
        ReportFormat::Xlsx,
        ReportFormat::Csv,
        ReportFormat::Json,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportFormat::Pdf => "pdf",
            ReportFormat::Xlsx => "xlsx",
            ReportFormat::Csv => "csv",
            ReportFormat::Json => "json",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|format| format.as_str() == value)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ReportFormat::Pdf => "application/pdf",
            ReportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            ReportFormat::Csv => "text/csv; charset=utf-8",
            ReportFormat::Json => "application/json",
        }
    }
}

/// Optional narrowing of a report's rows, stored as JSON with the request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportFilters {
    /// Only this shop (a seller's own shop).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shop_id: Option<Uuid>,
    /// Order status (sales_summary, orders_detail), payment status (payments) or shop status
    /// (shop_performance).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// products_stock: a product whose stock is below this is flagged (default 5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub low_stock_below: Option<i32>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Report {
    pub id: Uuid,
    pub requested_by: Uuid,
    pub scope_owner_id: Option<Uuid>,
    pub report_type: String,
    pub format: String,
    pub date_from: NaiveDate,
    pub date_to: NaiveDate,
    pub filters: sqlx::types::Json<ReportFilters>,
    pub status: String,
    pub progress: i32,
    pub row_count: Option<i64>,
    pub file_key: Option<String>,
    pub file_name: Option<String>,
    pub file_size: Option<i64>,
    pub error: Option<String>,
    pub job_id: Option<Uuid>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl Report {
    pub fn kind(&self) -> Option<ReportType> {
        ReportType::parse(&self.report_type)
    }
    pub fn file_format(&self) -> Option<ReportFormat> {
        ReportFormat::parse(&self.format)
    }
}

macro_rules! report_columns {
    () => {
        "id, requested_by, scope_owner_id, report_type, format, date_from, date_to, filters, status, \
         progress, row_count, file_key, file_name, file_size, error, job_id, expires_at, created_at, \
         started_at, finished_at"
    };
}

pub struct NewReport<'a> {
    pub requested_by: Uuid,
    /// The requesting seller, whose shops bound the rows; `None` for admins.
    pub scope_owner_id: Option<Uuid>,
    pub kind: ReportType,
    pub format: ReportFormat,
    pub date_from: NaiveDate,
    pub date_to: NaiveDate,
    pub filters: &'a ReportFilters,
}

pub async fn insert(tx: &mut PgConnection, report: NewReport<'_>) -> StoreResult<Report> {
    Ok(sqlx::query_as(concat!(
        "INSERT INTO reports (id, requested_by, scope_owner_id, report_type, format, date_from, date_to, filters) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ",
        report_columns!()
    ))
    .bind(new_id())
    .bind(report.requested_by)
    .bind(report.scope_owner_id)
    .bind(report.kind.as_str())
    .bind(report.format.as_str())
    .bind(report.date_from)
    .bind(report.date_to)
    .bind(sqlx::types::Json(report.filters))
    .fetch_one(tx)
    .await?)
}

pub async fn set_job(tx: &mut PgConnection, id: Uuid, job_id: Uuid) -> StoreResult<()> {
    sqlx::query("UPDATE reports SET job_id = $2 WHERE id = $1")
        .bind(id)
        .bind(job_id)
        .execute(tx)
        .await?;
    Ok(())
}

/// The report, if `viewer` may see it (`None`: an admin, who sees every report).
pub async fn find(
    db: impl PgExecutor<'_>,
    id: Uuid,
    viewer: Option<Uuid>,
) -> StoreResult<Option<Report>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        report_columns!(),
        " FROM reports WHERE id = $1 AND ($2::uuid IS NULL OR requested_by = $2)"
    ))
    .bind(id)
    .bind(viewer)
    .fetch_optional(db)
    .await?)
}

/// Reports newest first: `requester`'s, or every one for `None` (admins).
pub async fn list(
    pool: &PgPool,
    requester: Option<Uuid>,
    page: PageRequest,
) -> StoreResult<Page<Report>> {
    let total: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM reports WHERE $1::uuid IS NULL OR requested_by = $1",
    )
    .bind(requester)
    .fetch_one(pool)
    .await?;
    let items = sqlx::query_as(concat!(
        "SELECT ",
        report_columns!(),
        " FROM reports WHERE $1::uuid IS NULL OR requested_by = $1 \
          ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"
    ))
    .bind(requester)
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(pool)
    .await?;
    Ok(Page::new(items, page, total))
}

/// Marks the report running and returns it; `None` if it is gone or already finished (a
/// re-delivered job then has nothing to do). A run that died half-way starts over.
pub async fn start(pool: &PgPool, id: Uuid) -> StoreResult<Option<Report>> {
    Ok(sqlx::query_as(concat!(
        "UPDATE reports SET status = 'running', progress = 0, started_at = now(), error = NULL \
         WHERE id = $1 AND status IN ('queued', 'running') RETURNING ",
        report_columns!()
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?)
}

pub async fn set_progress(pool: &PgPool, id: Uuid, progress: i32) -> StoreResult<()> {
    sqlx::query("UPDATE reports SET progress = $2 WHERE id = $1 AND status = 'running'")
        .bind(id)
        .bind(progress.clamp(0, 100))
        .execute(pool)
        .await?;
    Ok(())
}

/// The stored file of a finished report.
pub struct ReportFile<'a> {
    pub key: &'a str,
    pub name: &'a str,
    pub size: i64,
    pub rows: i64,
}

/// Records the file; the report (and its file) expire `retention_secs` from now.
pub async fn succeed(
    tx: &mut PgConnection,
    id: Uuid,
    file: &ReportFile<'_>,
    retention_secs: i64,
) -> StoreResult<Option<Report>> {
    Ok(sqlx::query_as(concat!(
        "UPDATE reports SET status = 'succeeded', progress = 100, file_key = $2, file_name = $3, \
           file_size = $4, row_count = $5, finished_at = now(), \
           expires_at = now() + make_interval(secs => $6) \
         WHERE id = $1 AND status = 'running' RETURNING ",
        report_columns!()
    ))
    .bind(id)
    .bind(file.key)
    .bind(file.name)
    .bind(file.size)
    .bind(file.rows)
    .bind(retention_secs as f64)
    .fetch_optional(tx)
    .await?)
}

/// Records why the report failed; its row expires like a file would.
pub async fn fail(pool: &PgPool, id: Uuid, error: &str, retention_secs: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE reports SET status = 'failed', error = $2, finished_at = now(), \
           expires_at = now() + make_interval(secs => $3) \
         WHERE id = $1 AND status IN ('queued', 'running')",
    )
    .bind(id)
    .bind(error)
    .bind(retention_secs as f64)
    .execute(pool)
    .await?;
    Ok(())
}

/// Up to `limit` expired reports: (id, file key).
pub async fn expired(pool: &PgPool, limit: i64) -> StoreResult<Vec<(Uuid, Option<String>)>> {
    Ok(sqlx::query_as(
        "SELECT id, file_key FROM reports WHERE expires_at <= now() ORDER BY expires_at LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

pub async fn delete(pool: &PgPool, ids: &[Uuid]) -> StoreResult<u64> {
    Ok(sqlx::query("DELETE FROM reports WHERE id = ANY($1)")
        .bind(ids)
        .execute(pool)
        .await?
        .rows_affected())
}
