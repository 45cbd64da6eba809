//! POST /v1/orders: a client places an order for products of one shop. Validation here; stock,
//! promotions and pricing in `comptoir_domain::checkout`, in one transaction with the
//! idempotency key and the confirmation email job.

use std::collections::HashSet;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use comptoir_domain::checkout::{self, CheckoutError, Item, NewOrder, Placed};
use comptoir_domain::orders::Order;
use comptoir_domain::sms::order_texts::OrderEvent;
use comptoir_domain::users;
use comptoir_jobs::email::{EmailMessage, OrderEmailLine, SendEmail};
use comptoir_jobs::sms::text_order;

use crate::auth::Client;
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::extract::DeferredJson;
use crate::idempotency::{IdempotencyKey, idempotent};
use crate::state::AppState;
use crate::validate::add;

pub const MAX_ITEMS: usize = 100;
pub const MAX_QUANTITY: i32 = 1000;
const MAX_COUPON_CHARS: usize = 64;
const MAX_ADDRESS_BYTES: usize = 4096;

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrderRequest {
    /// 1 to 100 lines, each product at most once, all from one shop.
    pub items: Vec<OrderItem>,
    /// A coupon running now, platform-wide or for this shop.
    pub coupon_code: Option<String>,
    /// Free-form JSON object (street, city, phone…), stored with the order.
    #[schema(value_type = Option<Object>)]
    pub shipping_address: Option<serde_json::Value>,
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderItem {
    pub product_id: Uuid,
    /// 1 to 1000.
    pub quantity: i32,
}

fn validate(body: &NewOrderRequest) -> ApiResult<Vec<Item>> {
    let mut errors = FieldErrors::new();
    let mut error = |field: String, message: &str| add(&mut errors, &field, message);
    if !(1..=MAX_ITEMS).contains(&body.items.len()) {
        error(
            "items".to_owned(),
            &format!("must have 1 to {MAX_ITEMS} lines"),
        );
    }
    let mut seen = HashSet::new();
    for (index, item) in body.items.iter().enumerate() {
        if !(1..=MAX_QUANTITY).contains(&item.quantity) {
            error(
                format!("items[{index}].quantity"),
                &format!("must be between 1 and {MAX_QUANTITY}"),
            );
        }
        if !seen.insert(item.product_id) {
            error(
                format!("items[{index}].product_id"),
                "appears on another line; give one line per product",
            );
        }
    }
    if let Some(code) = &body.coupon_code
        && (code.trim().is_empty() || code.chars().count() > MAX_COUPON_CHARS)
    {
        error(
            "coupon_code".to_owned(),
            &format!("must be 1 to {MAX_COUPON_CHARS} characters"),
        );
    }
    if let Some(address) = &body.shipping_address
        && (!address.is_object() || address.to_string().len() > MAX_ADDRESS_BYTES)
    {
        error(
            "shipping_address".to_owned(),
            &format!("must be a JSON object of at most {MAX_ADDRESS_BYTES} bytes"),
        );
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation {
            detail: "the order is invalid".to_owned(),
            errors,
        });
    }
    Ok(body
        .items
        .iter()
        .map(|item| Item {
            product_id: item.product_id,
            quantity: item.quantity,
        })
        .collect())
}

pub(crate) fn refused(err: CheckoutError) -> ApiError {
    let detail = err.to_string();
    match err {
        CheckoutError::NoItems | CheckoutError::TooLarge => ApiError::field("items", detail),
        CheckoutError::Unavailable(_) => ApiError::Unprocessable {
            code: "product_unavailable",
            detail,
        },
        CheckoutError::MixedShops => ApiError::Unprocessable {
            code: "mixed_shops",
            detail,
        },
        CheckoutError::MixedCurrencies => ApiError::Unprocessable {
            code: "mixed_currencies",
            detail,
        },
        CheckoutError::InvalidCoupon => ApiError::Unprocessable {
            code: "invalid_coupon",
            detail,
        },
        CheckoutError::InsufficientStock { .. } => ApiError::Conflict {
            code: "insufficient_stock",
            detail,
        },
        CheckoutError::Store(err) => err.into(),
    }
}

/// Places the order. Stock is decremented atomically; with an `Idempotency-Key`, a retry of the
/// same request answers the first response and creates nothing.
#[utoipa::path(post, path = "/v1/orders", tag = "orders", request_body = NewOrderRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "1 to 255 characters; a replay with the same body returns the first response")),
    security(("bearer" = [])), responses(
    (status = 201, body = Order), (status = 401, body = crate::error::Problem),
    (status = 403, description = "not a client account", body = crate::error::Problem),
    (status = 409, description = "insufficient_stock, idempotency_key_in_use", body = crate::error::Problem),
    (status = 422, description = "validation_failed, product_unavailable, mixed_shops, mixed_currencies, invalid_coupon, idempotency_key_reused",
        body = crate::error::Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    Client(caller): Client,
    key: IdempotencyKey,
    body: DeferredJson<NewOrderRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.read().await?;
    let items = validate(&body)?;
    let reply = idempotent(
        &state,
        caller.id,
        "orders.create",
        &key,
        &body,
        async |tx: &mut PgConnection| {
            let new = NewOrder {
                client_id: caller.id,
                items: &items,
                coupon_code: body.coupon_code.as_deref().map(str::trim),
                shipping_address: body.shipping_address.as_ref(),
                quoted_prices: None,
            };
            let placed = checkout::place(tx, new).await.map_err(refused)?;
            confirm(&state, tx, caller.id, &placed).await?;
            tracing::info!(order_id = %placed.order.id, total = placed.order.total.amount, "order placed");
            let order = serde_json::to_value(&placed.order).map_err(ApiError::internal)?;
            Ok((StatusCode::CREATED, order))
        },
    )
    .await?;
    // Stock and sales moved: `in_stock` and the popular order may change.
    state.catalogue.bump().await;
    let location = reply.body["id"]
        .as_str()
        .map(|id| format!("/v1/orders/{id}"));
    Ok(reply.into_response(location))
}

/// Enqueues the client's order confirmation in the order's transaction: an email, or a text
/// for a phone-only account with a verified phone.
pub(crate) async fn confirm(
    state: &AppState,
    tx: &mut PgConnection,
    client_id: Uuid,
    placed: &Placed,
) -> ApiResult<()> {
    let client = users::find_by_id(&mut *tx, client_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let Some(to) = client.email else {
        let sms = &state.settings.sms;
        text_order(
            &state.producer,
            tx,
            sms,
            placed.order.id,
            OrderEvent::Placed,
        )
        .await?;
        return Ok(());
    };
    let order = &placed.order;
    let email = SendEmail {
        to,
        dedupe_key: format!("order-confirmation:{}", order.id),
        message: EmailMessage::OrderConfirmation {
            name: client.name,
            order_id: order.id,
            shop_name: placed.shop_name.clone(),
            currency: order.total.currency.clone(),
            lines: order
                .lines
                .iter()
                .map(|line| OrderEmailLine {
                    name: line.name.clone(),
                    quantity: line.quantity,
                    line_total: line.line_total.amount,
                })
                .collect(),
            subtotal: order.subtotal.amount,
            discount: order.discount.amount,
            total: order.total.amount,
        },
    };
    state.producer.enqueue(tx, &email).await?;
    Ok(())
}
