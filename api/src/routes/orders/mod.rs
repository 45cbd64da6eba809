//! /v1/orders: clients place orders (see [`place`]) and follow their own; sellers see and move
//! the orders of the shops they own; admins see and move every order. An order outside the
//! caller's scope is 404.

pub mod documents;
pub mod place;

use actix_web::web;
use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use comptoir_domain::action_log::{self, Action};
use comptoir_domain::orders::{self, Order, OrderFilter, STATUSES, Scope};
use comptoir_domain::pagination::Page;
use comptoir_domain::payments;
use comptoir_domain::sms::order_texts::OrderEvent;
use comptoir_domain::types::Role;

use comptoir_jobs::sms::text_order;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::extract::DeferredJson;
use crate::routes::users::page_of;
use crate::state::AppState;
use crate::validate::{add, check_text, ensure_valid, sane_time};

const MAX_CARRIER_CHARS: usize = 100;
const MAX_TRACKING_CHARS: usize = 64;

pub(crate) fn scope(caller: &AuthUser) -> Scope {
    match caller.role {
        role if role.is_admin() => Scope::All,
        Role::Seller => Scope::ShopOwner(caller.id),
        _ => Scope::Client(caller.id),
    }
}

fn status_problem(status: &str) -> Option<String> {
    (!STATUSES.contains(&status))
        .then(|| format!("must be one of {}, not `{status}`", STATUSES.join(", ")))
}

fn check_status(status: &str) -> ApiResult<()> {
    status_problem(status).map_or(Ok(()), |problem| Err(ApiError::field("status", problem)))
}

/// An RFC 3339 time, or a date (`YYYY-MM-DD`, UTC): the start of that day, or for an upper
/// bound (`end_of_day`) the start of the next one, so that `to` includes the whole day.
pub(crate) fn time_bound(field: &str, value: &str, end_of_day: bool) -> ApiResult<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(value) {
        return sane_time::check(time.with_timezone(&Utc)).map_err(|e| ApiError::field(field, e));
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .and_then(|day| {
            if end_of_day {
                day.checked_add_days(Days::new(1))
            } else {
                Some(day)
            }
        })
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map(|start| start.and_utc())
        .ok_or_else(|| ApiError::field(field, "must be a date (YYYY-MM-DD) or an RFC 3339 time"))
        .and_then(|time| sane_time::check(time).map_err(|e| ApiError::field(field, e)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OrderQuery {
    /// pending, paid, preparing, shipped, delivered or cancelled.
    pub status: Option<String>,
    /// Placed on or after this date (`YYYY-MM-DD`) or time (RFC 3339).
    pub from: Option<String>,
    /// Placed on or before this date (whole day included), or before this time.
    pub to: Option<String>,
    pub shop_id: Option<Uuid>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[utoipa::path(get, path = "/v1/orders", tag = "orders", params(OrderQuery), security(("bearer" = [])), responses(
    (status = 200, description = "a page of orders, newest first: {items, page, per_page, total, total_is_capped}"),
    (status = 401, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: AuthUser,
    query: web::Query<OrderQuery>,
) -> ApiResult<web::Json<Page<Order>>> {
    let query = query.into_inner();
    if let Some(status) = &query.status {
        check_status(status)?;
    }
    let filter = OrderFilter {
        scope: scope(&caller),
        status: query.status,
        from: query
            .from
            .map(|from| time_bound("from", &from, false))
            .transpose()?,
        to: query.to.map(|to| time_bound("to", &to, true)).transpose()?,
        shop_id: query.shop_id,
    };
    let page = page_of(query.page, query.per_page);
    Ok(web::Json(orders::list(&state.pool, &filter, page).await?))
}

#[utoipa::path(get, path = "/v1/orders/{id}", tag = "orders", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Order), (status = 401, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<Order>> {
    orders::find(&state.pool, *id, scope(&caller))
        .await?
        .map(web::Json)
        .ok_or(ApiError::NotFound)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderUpdate {
    /// The next status: pending → paid → preparing → shipped → delivered; cancelled from
    /// pending or paid.
    pub status: String,
    /// With `shipped` only: who carries the parcel (up to 100 characters), printed on the
    /// delivery note.
    pub carrier: Option<String>,
    /// With `shipped` only: the carrier's tracking number (up to 64 letters, digits, spaces or
    /// `-`).
    pub tracking_number: Option<String>,
}

impl OrderUpdate {
    /// The status and the shipment fields, checked together (422 with every problem).
    fn check(&self) -> ApiResult<()> {
        let mut errors = FieldErrors::new();
        if let Some(problem) = status_problem(&self.status) {
            add(&mut errors, "status", problem);
        }
        let shipped = self.status == "shipped";
        for (field, value, max) in [
            ("carrier", &self.carrier, MAX_CARRIER_CHARS),
            ("tracking_number", &self.tracking_number, MAX_TRACKING_CHARS),
        ] {
            let Some(value) = value else { continue };
            if !shipped {
                add(
                    &mut errors,
                    field,
                    "is only taken with the status `shipped`",
                );
            }
            check_text(&mut errors, field, value, max, true);
            if value.contains('\n') {
                add(&mut errors, field, "must be one line");
            }
        }
        let tracking_chars = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == ' ';
        if let Some(tracking) = &self.tracking_number
            && !tracking.chars().all(tracking_chars)
        {
            add(
                &mut errors,
                "tracking_number",
                "may hold only letters, digits, spaces and `-`",
            );
        }
        ensure_valid(errors, "the order update is invalid")
    }
}

/// Moves an order along its status machine. The seller of its shop and admins make any legal
/// move (audited); its client may only cancel it while it is pending. Cancelling puts the
/// quantities back in stock; marking it paid records a `manual` payment (cash on delivery).
/// Entering `preparing` queues the packing slip, `shipped` (with the optional `carrier` and
/// `tracking_number`) the delivery note: see `GET /v1/orders/{id}/documents`.
#[utoipa::path(patch, path = "/v1/orders/{id}", tag = "orders", request_body = OrderUpdate, params(("id" = Uuid, Path)),
    security(("bearer" = [])), responses((status = 200, body = Order), (status = 401, body = crate::error::Problem),
    (status = 403, description = "a client asking for anything but a cancellation", body = crate::error::Problem),
    (status = 404, body = crate::error::Problem), (status = 409, description = "illegal_transition", body = crate::error::Problem),
    (status = 422, body = crate::error::Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<Uuid>,
    body: DeferredJson<OrderUpdate>,
) -> ApiResult<web::Json<Order>> {
    let update = body.read().await?;
    update.check()?;
    let to = update.status.clone();
    let mut tx = state.pool.begin().await?;
    let order = orders::lock(&mut tx, *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let merchant =
        caller.role.is_admin() || (caller.role == Role::Seller && order.shop_owner_id == caller.id);
    if !merchant && order.client_id != caller.id {
        return Err(ApiError::NotFound);
    }
    if !merchant && to != "cancelled" {
        return Err(ApiError::Forbidden {
            code: "forbidden",
            detail: "a client may only cancel their order".to_owned(),
        });
    }
    let from = order.status.clone();
    let allowed = orders::transition_allowed(&from, &to) && (merchant || from == "pending");
    if !allowed {
        return Err(ApiError::Conflict {
            code: "illegal_transition",
            detail: if merchant {
                format!("an order cannot go from {from} to {to}")
            } else {
                format!("only a pending order can be cancelled by its client; this one is {from}")
            },
        });
    }
    if to == "cancelled" {
        orders::restock(&mut tx, *id).await?;
    }
    // Only a merchant gets this far with `paid`: the money was taken by hand.
    let manual_payment = match to.as_str() {
        "paid" => Some(payments::record_manual(&mut tx, &order).await?),
        _ => None,
    };
    if to == "shipped" {
        let carrier = update.carrier.as_deref().map(str::trim);
        let tracking = update.tracking_number.as_deref().map(str::trim);
        orders::set_shipment(&mut tx, *id, carrier, tracking).await?;
    }
    let updated = orders::set_status(&mut tx, *id, &to).await?;
    documents::request_for(&state, &mut tx, *id, &to).await?;
    let text = match to.as_str() {
        "paid" => Some(OrderEvent::Paid),
        "shipped" => Some(OrderEvent::Shipped),
        _ => None,
    };
    if let Some(event) = text {
        text_order(&state.producer, &mut tx, &state.settings.sms, *id, event).await?;
    }
    if merchant {
        action_log::record(
            &mut *tx,
            Action {
                actor_id: caller.id,
                action: "order.status_changed",
                target_type: "order",
                target_id: *id,
                meta: json!({
                    "from": from, "to": to, "shop_id": updated.shop_id, "payment_id": manual_payment,
                }),
            },
        )
        .await?;
    }
    state.producer.commit(tx).await?;
    if to == "cancelled" {
        // Stock came back: `in_stock` and the popular order may change.
        state.catalogue.bump().await;
    }
    tracing::info!(order_id = %id, %from, %to, "order status changed");
    Ok(web::Json(updated))
}
