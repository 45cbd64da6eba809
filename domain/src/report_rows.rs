//! The rows of each report type, streamed from Postgres as typed cells. Every statement starts
//! from the same parameter row `p` (period in UTC, seller scope, shop, status, low-stock
//! threshold), so one binding serves all five.
//!
//! Meanings: "sales" are orders that were paid (paid, preparing, shipped, delivered) unless a
//! `status` filter names another status; orders_detail lists every status unless filtered;
//! products_stock counts units sold in the period on orders not cancelled, and the lifetime
//! views and sales of the product.

use chrono::{DateTime, NaiveDate, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};
use uuid::Uuid;

use crate::reports::{Report, ReportFilters, ReportType};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Integer,
    /// Minor units, in the currency of the row's `currency` column.
    Money,
    Date,
    Timestamp,
    Bool,
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Machine name (JSON keys).
    pub key: &'static str,
    /// Header shown in CSV, XLSX and PDF.
    pub title: &'static str,
    pub kind: Kind,
    /// Summed on the totals line (integers and money).
    pub total: bool,
    /// Relative width in the PDF table and the spreadsheet (characters).
    pub width: u8,
}

const fn col(key: &'static str, title: &'static str, kind: Kind, width: u8) -> Column {
    Column {
        key,
        title,
        kind,
        total: false,
        width,
    }
}

const fn sum(key: &'static str, title: &'static str, kind: Kind, width: u8) -> Column {
    Column {
        key,
        title,
        kind,
        total: true,
        width,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Integer(i64),
    Money { amount: i64, currency: String },
    Date(NaiveDate),
    Timestamp(DateTime<Utc>),
    Bool(bool),
}

/// One report type: its columns and statements.
pub struct Spec {
    pub columns: &'static [Column],
    sql: &'static str,
    count_sql: &'static str,
}

/// What a report's statements are bound to.
#[derive(Debug, Clone)]
pub struct RowParams {
    pub date_from: NaiveDate,
    pub date_to: NaiveDate,
    pub scope_owner_id: Option<Uuid>,
    pub filters: ReportFilters,
}

impl From<&Report> for RowParams {
    fn from(report: &Report) -> Self {
        Self {
            date_from: report.date_from,
            date_to: report.date_to,
            scope_owner_id: report.scope_owner_id,
            filters: report.filters.0.clone(),
        }
    }
}

/// The parameter row every statement reads: `p.t_from <= time < p.t_to` is the period; products
/// under 5 in stock are flagged unless the filter says otherwise.
macro_rules! params {
    () => {
        "WITH p AS (SELECT ($1::date)::timestamp AT TIME ZONE 'UTC' AS t_from, \
           ($2::date + 1)::timestamp AT TIME ZONE 'UTC' AS t_to, $3::uuid AS owner, $4::uuid AS shop, \
           $5::text AS status, COALESCE($6::int, 5) AS low) "
    };
}

/// The seller scope and shop filter, on the shops aliased `s`.
macro_rules! scope {
    () => {
        " (p.owner IS NULL OR s.owner_id = p.owner) AND (p.shop IS NULL OR s.id = p.shop) "
    };
}

macro_rules! sales_status {
    ($status:literal) => {
        concat!(
            " (CASE WHEN p.status IS NULL THEN ",
            $status,
            " IN ('paid', 'preparing', 'shipped', 'delivered') ELSE ",
            $status,
            " = p.status END) "
        )
    };
}

macro_rules! sales_summary_from {
    () => {
        concat!(
            " FROM p, orders o JOIN shops s ON s.id = o.shop_id \
              WHERE o.created_at >= p.t_from AND o.created_at < p.t_to AND",
            scope!(),
            "AND",
            sales_status!("o.status"),
            "GROUP BY 1, 2"
        )
    };
}

macro_rules! orders_detail_from {
    () => {
        concat!(
            " FROM p, orders o JOIN shops s ON s.id = o.shop_id JOIN users u ON u.id = o.client_id \
              JOIN order_lines l ON l.order_id = o.id \
              WHERE o.created_at >= p.t_from AND o.created_at < p.t_to AND",
            scope!(),
            "AND (p.status IS NULL OR o.status = p.status)"
        )
    };
}

macro_rules! products_stock_from {
    () => {
        concat!(
            " FROM p, products pr JOIN shops s ON s.id = pr.shop_id \
              WHERE pr.deleted_at IS NULL AND",
            scope!()
        )
    };
}

macro_rules! shop_performance_from {
    () => {
        concat!(
            " FROM p, shops s JOIN users u ON u.id = s.owner_id \
              LEFT JOIN LATERAL (SELECT o.currency::text AS currency, count(*)::bigint AS orders, \
                sum(o.total_amount)::bigint AS revenue FROM orders o \
                WHERE o.shop_id = s.id AND o.created_at >= p.t_from AND o.created_at < p.t_to \
                AND o.status IN ('paid', 'preparing', 'shipped', 'delivered') GROUP BY o.currency) o ON true \
              WHERE",
            scope!(),
            "AND (p.status IS NULL OR s.status = p.status)"
        )
    };
}

macro_rules! payments_from {
    () => {
        concat!(
            " FROM p, payments pay JOIN orders o ON o.id = pay.order_id JOIN shops s ON s.id = o.shop_id \
              WHERE pay.created_at >= p.t_from AND pay.created_at < p.t_to AND",
            scope!(),
            "AND (p.status IS NULL OR pay.status = p.status)"
        )
    };
}

static SALES_SUMMARY: Spec = Spec {
    columns: &[
        col("day", "Day", Kind::Date, 12),
        col("currency", "Currency", Kind::Text, 9),
        sum("orders", "Orders", Kind::Integer, 9),
        sum("revenue", "Revenue", Kind::Money, 16),
        col("average_basket", "Average basket", Kind::Money, 16),
    ],
    sql: concat!(
        params!(),
        "SELECT (o.created_at AT TIME ZONE 'UTC')::date, o.currency::text, count(*)::bigint, \
           sum(o.total_amount)::bigint, round(avg(o.total_amount))::bigint",
        sales_summary_from!(),
        " ORDER BY 1, 2"
    ),
    count_sql: concat!(
        params!(),
        "SELECT count(*) FROM (SELECT (o.created_at AT TIME ZONE 'UTC')::date, o.currency",
        sales_summary_from!(),
        ") q"
    ),
};

static ORDERS_DETAIL: Spec = Spec {
    columns: &[
        col("order_id", "Order", Kind::Text, 36),
        col("placed_at", "Placed at", Kind::Timestamp, 17),
        col("status", "Status", Kind::Text, 10),
        col("shop", "Shop", Kind::Text, 20),
        col("client", "Client", Kind::Text, 20),
        col("sku", "SKU", Kind::Text, 14),
        col("product", "Product", Kind::Text, 28),
        sum("quantity", "Quantity", Kind::Integer, 9),
        col("unit_price", "Unit price", Kind::Money, 14),
        sum("line_total", "Line total", Kind::Money, 14),
        col("currency", "Currency", Kind::Text, 9),
    ],
    sql: concat!(
        params!(),
        "SELECT o.id::text, o.created_at, o.status, s.name, u.name, l.sku, l.name, l.quantity::bigint, \
           l.unit_price_amount, l.line_total_amount, o.currency::text",
        orders_detail_from!(),
        " ORDER BY o.created_at, o.id, l.id"
    ),
    count_sql: concat!(params!(), "SELECT count(*)", orders_detail_from!()),
};

static PRODUCTS_STOCK: Spec = Spec {
    columns: &[
        col("sku", "SKU", Kind::Text, 14),
        col("product", "Product", Kind::Text, 28),
        col("shop", "Shop", Kind::Text, 20),
        sum("stock", "Stock", Kind::Integer, 8),
        sum("sold_in_period", "Sold in period", Kind::Integer, 10),
        sum("sales", "Sales (all time)", Kind::Integer, 10),
        sum("views", "Views", Kind::Integer, 9),
        col("low_stock", "Low stock", Kind::Bool, 9),
        col("price", "Price", Kind::Money, 14),
        col("currency", "Currency", Kind::Text, 9),
        col("published", "Published", Kind::Bool, 9),
    ],
    sql: concat!(
        params!(),
        "SELECT pr.sku, pr.name, s.name, pr.stock::bigint, \
           (SELECT COALESCE(sum(l.quantity), 0)::bigint FROM order_lines l JOIN orders o ON o.id = l.order_id \
            WHERE l.product_id = pr.id AND o.status <> 'cancelled' \
            AND o.created_at >= p.t_from AND o.created_at < p.t_to), \
           pr.sales, pr.views, pr.stock < p.low, pr.price_amount, pr.currency::text, pr.published",
        products_stock_from!(),
        " ORDER BY s.name, s.id, pr.sku"
    ),
    count_sql: concat!(params!(), "SELECT count(*)", products_stock_from!()),
};

static SHOP_PERFORMANCE: Spec = Spec {
    columns: &[
        col("shop", "Shop", Kind::Text, 22),
        col("status", "Status", Kind::Text, 9),
        col("owner", "Owner", Kind::Text, 20),
        col("end_date", "Paid until", Kind::Date, 12),
        col("days_left", "Days left", Kind::Integer, 9),
        sum("products", "Products", Kind::Integer, 9),
        sum("orders", "Orders", Kind::Integer, 9),
        sum("revenue", "Revenue", Kind::Money, 16),
        col("currency", "Currency", Kind::Text, 9),
    ],
    sql: concat!(
        params!(),
        "SELECT s.name, s.status, u.name, (s.end_date AT TIME ZONE 'UTC')::date, \
           GREATEST(0, ceil(extract(epoch FROM s.end_date - now()) / 86400))::bigint, \
           (SELECT count(*) FROM products pr WHERE pr.shop_id = s.id AND pr.deleted_at IS NULL)::bigint, \
           COALESCE(o.orders, 0), COALESCE(o.revenue, 0), o.currency",
        shop_performance_from!(),
        " ORDER BY s.name, s.id, o.currency"
    ),
    count_sql: concat!(params!(), "SELECT count(*)", shop_performance_from!()),
};

static PAYMENTS: Spec = Spec {
    columns: &[
        col("payment_id", "Payment", Kind::Text, 36),
        col("created_at", "Created at", Kind::Timestamp, 17),
        col("order_id", "Order", Kind::Text, 36),
        col("shop", "Shop", Kind::Text, 20),
        col("provider", "Provider", Kind::Text, 12),
        col("provider_ref", "Provider reference", Kind::Text, 20),
        col("status", "Status", Kind::Text, 10),
        sum("amount", "Amount", Kind::Money, 14),
        sum("refunded", "Refunded", Kind::Money, 14),
        col("currency", "Currency", Kind::Text, 9),
        // amount_mismatch, duplicate, needs_refund: what the back office must look at.
        col("flags", "Flags", Kind::Text, 16),
    ],
    sql: concat!(
        params!(),
        "SELECT pay.id::text, pay.created_at, o.id::text, s.name, pay.provider, pay.provider_ref, \
           pay.status, pay.amount, pay.refunded_amount, pay.currency::text, \
           array_to_string(pay.flags, ' ')",
        payments_from!(),
        " ORDER BY pay.created_at, pay.id"
    ),
    count_sql: concat!(params!(), "SELECT count(*)", payments_from!()),
};

pub fn spec(kind: ReportType) -> &'static Spec {
    match kind {
        ReportType::SalesSummary => &SALES_SUMMARY,
        ReportType::OrdersDetail => &ORDERS_DETAIL,
        ReportType::ProductsStock => &PRODUCTS_STOCK,
        ReportType::ShopPerformance => &SHOP_PERFORMANCE,
        ReportType::Payments => &PAYMENTS,
    }
}

type Query<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

fn bind<'q>(query: Query<'q>, params: &RowParams) -> Query<'q> {
    query
        .bind(params.date_from)
        .bind(params.date_to)
        .bind(params.scope_owner_id)
        .bind(params.filters.shop_id)
        .bind(params.filters.status.clone())
        .bind(params.filters.low_stock_below)
}

impl Spec {
    /// The rows' statement, parameters `$1`..`$6` as in [`RowParams`] (benchmarks run it with
    /// `psql \copy`).
    pub fn sql(&self) -> &'static str {
        self.sql
    }

    /// How many rows the report will have (checked against the row cap before writing).
    pub async fn count(&self, pool: &PgPool, params: &RowParams) -> Result<i64, sqlx::Error> {
        bind(sqlx::query(self.count_sql), params)
            .fetch_one(pool)
            .await?
            .try_get(0)
    }

    /// The rows, streamed from the database in order.
    pub fn rows<'a>(
        &'static self,
        pool: &'a PgPool,
        params: &RowParams,
    ) -> BoxStream<'a, Result<Vec<Cell>, sqlx::Error>> {
        bind(sqlx::query(self.sql), params)
            .fetch(pool)
            .map(move |row| row.and_then(|row| self.decode(&row)))
            .boxed()
    }

    fn currency_index(&self) -> Option<usize> {
        self.columns.iter().position(|c| c.key == "currency")
    }

    fn decode(&self, row: &PgRow) -> Result<Vec<Cell>, sqlx::Error> {
        let currency: Option<String> = match self.currency_index() {
            Some(index) => row.try_get(index)?,
            None => None,
        };
        self.columns
            .iter()
            .enumerate()
            .map(|(index, column)| {
                Ok(match column.kind {
                    Kind::Text => row.try_get::<Option<String>, _>(index)?.map(Cell::Text),
                    Kind::Integer => row.try_get::<Option<i64>, _>(index)?.map(Cell::Integer),
                    Kind::Money => {
                        row.try_get::<Option<i64>, _>(index)?
                            .map(|amount| Cell::Money {
                                amount,
                                currency: currency.clone().unwrap_or_default(),
                            })
                    }
                    Kind::Date => row.try_get::<Option<NaiveDate>, _>(index)?.map(Cell::Date),
                    Kind::Timestamp => row
                        .try_get::<Option<DateTime<Utc>>, _>(index)?
                        .map(Cell::Timestamp),
                    Kind::Bool => row.try_get::<Option<bool>, _>(index)?.map(Cell::Bool),
                }
                .unwrap_or(Cell::Empty))
            })
            .collect()
    }
}
