//! Shipping documents: the packing slip an order gets when it enters `preparing` and the
//! delivery note when it is `shipped`, rendered by a worker into PDFs in storage. One row per
//! order and kind (unique), so rendering twice still makes one document.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::{StoreResult, new_id};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    PackingSlip,
    DeliveryNote,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 2] = [DocumentKind::PackingSlip, DocumentKind::DeliveryNote];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::PackingSlip => "packing_slip",
            DocumentKind::DeliveryNote => "delivery_note",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == value)
    }

    /// The document an order entering `status` gets, if any.
    pub fn for_status(status: &str) -> Option<Self> {
        match status {
            "preparing" => Some(DocumentKind::PackingSlip),
            "shipped" => Some(DocumentKind::DeliveryNote),
            _ => None,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            DocumentKind::PackingSlip => "Packing slip",
            DocumentKind::DeliveryNote => "Delivery note",
        }
    }

    /// Where the order's document is stored: one key per order and kind, so a re-render
    /// replaces the same object.
    pub fn storage_key(self, order_id: Uuid) -> String {
        format!("orders/{order_id}/{}.pdf", self.as_str())
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Document {
    pub id: Uuid,
    pub order_id: Uuid,
    pub kind: String,
    /// `queued`, `succeeded` or `failed`.
    pub status: String,
    pub file_key: Option<String>,
    pub size_bytes: Option<i64>,
    pub error: Option<String>,
    pub job_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

macro_rules! document_columns {
    () => {
        "id, order_id, kind, status, file_key, size_bytes, error, job_id, created_at, finished_at"
    };
}

/// Records that the order's `kind` document is to be rendered, unless it already was asked
/// for; returns the new document's id (`None` when it existed).
pub async fn request(
    tx: &mut PgConnection,
    order_id: Uuid,
    kind: DocumentKind,
) -> StoreResult<Option<Uuid>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO order_documents (id, order_id, kind) VALUES ($1, $2, $3) \
         ON CONFLICT (order_id, kind) DO NOTHING RETURNING id",
    )
    .bind(new_id())
    .bind(order_id)
    .bind(kind.as_str())
    .fetch_optional(tx)
    .await?)
}

pub async fn set_job(db: impl PgExecutor<'_>, id: Uuid, job_id: Uuid) -> StoreResult<()> {
    sqlx::query("UPDATE order_documents SET job_id = $2 WHERE id = $1")
        .bind(id)
        .bind(job_id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn find(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<Option<Document>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        document_columns!(),
        " FROM order_documents WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// The order's document of `kind`.
pub async fn find_for(
    db: impl PgExecutor<'_>,
    order_id: Uuid,
    kind: DocumentKind,
) -> StoreResult<Option<Document>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        document_columns!(),
        " FROM order_documents WHERE order_id = $1 AND kind = $2"
    ))
    .bind(order_id)
    .bind(kind.as_str())
    .fetch_optional(db)
    .await?)
}

/// The order's documents, packing slip first.
pub async fn of_order(db: impl PgExecutor<'_>, order_id: Uuid) -> StoreResult<Vec<Document>> {
    Ok(sqlx::query_as(concat!(
        "SELECT ",
        document_columns!(),
        " FROM order_documents WHERE order_id = $1 ORDER BY created_at, id"
    ))
    .bind(order_id)
    .fetch_all(db)
    .await?)
}

/// Marks the document rendered at `key`; `false` when it already was (a second run).
pub async fn succeed(db: impl PgExecutor<'_>, id: Uuid, key: &str, size: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE order_documents SET status = 'succeeded', file_key = $2, size_bytes = $3, \
           error = NULL, finished_at = now() WHERE id = $1 AND status <> 'succeeded'",
    )
    .bind(id)
    .bind(key)
    .bind(size)
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Records why rendering failed (a later success clears it).
pub async fn fail(db: impl PgExecutor<'_>, id: Uuid, reason: &str) -> StoreResult<()> {
    sqlx::query(
        "UPDATE order_documents SET status = 'failed', error = $2, finished_at = now() \
         WHERE id = $1 AND status <> 'succeeded'",
    )
    .bind(id)
    .bind(reason)
    .execute(db)
    .await?;
    Ok(())
}

/// What a shipping document shows about its order.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderSheet {
    pub order_id: Uuid,
    pub placed_at: DateTime<Utc>,
    pub shop_name: String,
    pub client_name: String,
    pub client_email: Option<String>,
    pub client_phone: Option<String>,
    pub shipping_address: Option<serde_json::Value>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
}

/// One line of the sheet: what goes in the parcel.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SheetLine {
    pub sku: String,
    pub name: String,
    pub quantity: i32,
}

pub async fn sheet(
    db: &mut PgConnection,
    order_id: Uuid,
) -> StoreResult<Option<(OrderSheet, Vec<SheetLine>)>> {
    let sheet: Option<OrderSheet> = sqlx::query_as(
        "SELECT o.id AS order_id, o.created_at AS placed_at, s.name AS shop_name, \
           u.name AS client_name, u.email AS client_email, u.phone AS client_phone, \
           o.shipping_address, o.carrier, o.tracking_number \
         FROM orders o JOIN shops s ON s.id = o.shop_id JOIN users u ON u.id = o.client_id \
         WHERE o.id = $1",
    )
    .bind(order_id)
    .fetch_optional(&mut *db)
    .await?;
    let Some(sheet) = sheet else { return Ok(None) };
    let lines = sqlx::query_as(
        "SELECT sku, name, quantity FROM order_lines WHERE order_id = $1 ORDER BY sku, id",
    )
    .bind(order_id)
    .fetch_all(&mut *db)
    .await?;
    Ok(Some((sheet, lines)))
}
