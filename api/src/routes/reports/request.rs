//! The body of POST /v1/reports and its checks: every problem of the body answers at once as one
//! 422 with field errors.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use comptoir_domain::reports::{ReportFilters, ReportFormat, ReportType};
use comptoir_domain::{orders, shops};

use crate::error::{ApiResult, FieldErrors};
use crate::validate::{add, ensure_valid};

/// The longest period a report may cover.
const MAX_DAYS: i64 = 3_660;
const PAYMENT_STATUSES: [&str; 5] = ["pending", "succeeded", "failed", "expired", "refunded"];

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReportRequest {
    /// sales_summary, orders_detail, products_stock, shop_performance or payments.
    #[serde(rename = "type")]
    #[schema(example = "orders_detail")]
    pub report_type: String,
    /// pdf, xlsx, csv or json.
    #[schema(example = "xlsx")]
    pub format: String,
    /// First day of the period (`YYYY-MM-DD`, UTC), included.
    #[schema(example = "2026-11-01")]
    pub date_from: String,
    /// Last day of the period, included.
    #[schema(example = "2026-11-30")]
    pub date_to: String,
    /// `{shop_id?, status?, low_stock_below?}`.
    #[schema(value_type = Option<ReportFilters>)]
    pub filters: Option<serde_json::Value>,
}

/// A request whose every field checked out.
pub struct Checked {
    pub kind: ReportType,
    pub format: ReportFormat,
    pub date_from: NaiveDate,
    pub date_to: NaiveDate,
    pub filters: ReportFilters,
}

fn one_of<T>(
    errors: &mut FieldErrors,
    field: &str,
    value: &str,
    parse: fn(&str) -> Option<T>,
    names: &[&str],
) -> Option<T> {
    let parsed = parse(value);
    if parsed.is_none() {
        add(
            errors,
            field,
            format!("must be one of {}", names.join(", ")),
        );
    }
    parsed
}

fn date(errors: &mut FieldErrors, field: &str, value: &str) -> Option<NaiveDate> {
    let parsed = NaiveDate::parse_from_str(value, "%Y-%m-%d").ok();
    if parsed.is_none() {
        add(errors, field, "must be a date (YYYY-MM-DD)");
    }
    parsed
}

/// The statuses the `status` filter accepts for `kind` (none: the filter does not apply).
fn statuses(kind: ReportType) -> &'static [&'static str] {
    match kind {
        ReportType::SalesSummary | ReportType::OrdersDetail => &orders::STATUSES,
        ReportType::Payments => &PAYMENT_STATUSES,
        ReportType::ShopPerformance => &shops::STATUSES,
        ReportType::ProductsStock => &[],
    }
}

fn check_filters(
    errors: &mut FieldErrors,
    kind: Option<ReportType>,
    raw: Option<&serde_json::Value>,
) -> ReportFilters {
    let Some(raw) = raw.filter(|raw| !raw.is_null()) else {
        return ReportFilters::default();
    };
    let filters: ReportFilters = match serde_json::from_value(raw.clone()) {
        Ok(filters) => filters,
        Err(err) => {
            add(
                errors,
                "filters",
                format!("must be {{shop_id?, status?, low_stock_below?}}: {err}"),
            );
            return ReportFilters::default();
        }
    };
    if let (Some(kind), Some(status)) = (kind, &filters.status) {
        let allowed = statuses(kind);
        if allowed.is_empty() {
            add(
                errors,
                "filters.status",
                format!("does not apply to {} reports", kind.as_str()),
            );
        } else if !allowed.contains(&status.as_str()) {
            add(
                errors,
                "filters.status",
                format!("must be one of {}", allowed.join(", ")),
            );
        }
    }
    if let Some(below) = filters.low_stock_below {
        if kind.is_some_and(|kind| kind != ReportType::ProductsStock) {
            add(
                errors,
                "filters.low_stock_below",
                "applies to products_stock reports only",
            );
        } else if !(0..=1_000_000).contains(&below) {
            add(
                errors,
                "filters.low_stock_below",
                "must be between 0 and 1000000",
            );
        }
    }
    filters
}

impl NewReportRequest {
    pub fn check(&self) -> ApiResult<Checked> {
        let mut errors = FieldErrors::new();
        let type_names = ReportType::ALL.map(ReportType::as_str);
        let format_names = ReportFormat::ALL.map(ReportFormat::as_str);
        let kind = one_of(
            &mut errors,
            "type",
            &self.report_type,
            ReportType::parse,
            &type_names,
        );
        let format = one_of(
            &mut errors,
            "format",
            &self.format,
            ReportFormat::parse,
            &format_names,
        );
        let date_from = date(&mut errors, "date_from", &self.date_from);
        let date_to = date(&mut errors, "date_to", &self.date_to);
        if let (Some(from), Some(to)) = (date_from, date_to) {
            if to < from {
                add(&mut errors, "date_to", "must not be before date_from");
            } else if (to - from).num_days() >= MAX_DAYS {
                add(
                    &mut errors,
                    "date_to",
                    format!("the period may span at most {MAX_DAYS} days"),
                );
            }
        }
        let filters = check_filters(&mut errors, kind, self.filters.as_ref());
        ensure_valid(errors, "the report request is invalid")?;
        match (kind, format, date_from, date_to) {
            (Some(kind), Some(format), Some(date_from), Some(date_to)) => Ok(Checked {
                kind,
                format,
                date_from,
                date_to,
                filters,
            }),
            // Every None added an error above.
            _ => Err(crate::error::ApiError::internal(anyhow::anyhow!(
                "unchecked report request"
            ))),
        }
    }
}
