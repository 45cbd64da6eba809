//! /v1/products writes: sellers manage the products of their own shops, admins all products.
//! Another seller's product or shop is 404, never 403 (no existence leak).

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use comptoir_domain::action_log::{self, Action};
use comptoir_domain::money::Money;
use comptoir_domain::products::{self, NewProduct, Nullable, ProductChanges, ProductView, limits};
use comptoir_domain::types::Role;
use comptoir_domain::{StoreError, categories};

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::extract::DeferredJson;
use crate::state::AppState;
use crate::validate::{add, check_text, ensure_valid};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProductRequest {
    pub shop_id: Uuid,
    pub sku: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub price: Money,
    pub stock: i32,
    pub category_id: Option<Uuid>,
    pub color: Option<String>,
    pub size: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub variations: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub features: Option<Value>,
}

/// Distinguishes an absent field (leave it) from `null` (clear it).
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductUpdate {
    pub sku: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub price: Option<Money>,
    pub stock: Option<i32>,
    /// `null` removes the category.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub category_id: Nullable<Uuid>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub color: Nullable<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub size: Nullable<String>,
    #[schema(value_type = Option<Object>)]
    pub variations: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub features: Option<Value>,
    pub published: Option<bool>,
}

/// Checks the fields given (absent ones are not checked), for creation and updates alike;
/// every problem is reported in one 422.
fn check_product(fields: ProductFields<'_>) -> ApiResult<()> {
    let mut errors = FieldErrors::new();
    for (field, value, max, required) in [
        ("sku", fields.sku, limits::SKU_CHARS, true),
        ("name", fields.name, limits::NAME_CHARS, true),
        (
            "description",
            fields.description,
            limits::DESCRIPTION_CHARS,
            false,
        ),
        ("color", fields.color, limits::COLOR_CHARS, false),
        ("size", fields.size, limits::SIZE_CHARS, false),
    ] {
        if let Some(value) = value {
            check_text(&mut errors, field, value, max, required);
        }
    }
    if let Some(Err(message)) = fields.price.map(Money::validate_price) {
        add(&mut errors, "price", message);
    }
    if fields
        .stock
        .is_some_and(|stock| !(0..=limits::MAX_STOCK).contains(&stock))
    {
        add(
            &mut errors,
            "stock",
            format!("must be between 0 and {}", limits::MAX_STOCK),
        );
    }
    if fields.variations.is_some_and(|v| !v.is_array()) {
        add(&mut errors, "variations", "must be an array");
    }
    if fields.features.is_some_and(|v| !v.is_object()) {
        add(&mut errors, "features", "must be an object");
    }
    ensure_valid(errors, "the product is invalid")
}

#[derive(Default)]
struct ProductFields<'a> {
    sku: Option<&'a str>,
    name: Option<&'a str>,
    description: Option<&'a str>,
    color: Option<&'a str>,
    size: Option<&'a str>,
    price: Option<&'a Money>,
    stock: Option<i32>,
    variations: Option<&'a Value>,
    features: Option<&'a Value>,
}

fn sku_taken(err: StoreError) -> ApiError {
    match err {
        StoreError::Conflict(_) => ApiError::Conflict {
            code: "sku_taken",
            detail: "this shop already has a product with this sku".to_owned(),
        },
        other => other.into(),
    }
}

/// Product writes are for sellers and admins (403 for others).
pub(crate) fn seller_or_admin(caller: &AuthUser) -> ApiResult<()> {
    if caller.role == Role::Seller || caller.role.is_admin() {
        Ok(())
    } else {
        Err(ApiError::Forbidden {
            code: "forbidden",
            detail: "only sellers and admins manage products".to_owned(),
        })
    }
}

/// Sellers may act on their own shops only; admins on all.
pub(crate) fn may_manage(caller: &AuthUser, owner_id: Uuid) -> bool {
    caller.role.is_admin() || caller.id == owner_id
}

async fn check_category(tx: &mut sqlx::PgConnection, category: Option<Uuid>) -> ApiResult<()> {
    match category {
        Some(id) if !categories::exists(&mut *tx, id).await? => {
            Err(ApiError::field("category_id", "no such category"))
        }
        _ => Ok(()),
    }
}

#[utoipa::path(post, path = "/v1/products", tag = "catalogue", request_body = NewProductRequest, security(("bearer" = [])),
    responses((status = 201, body = ProductView), (status = 404, description = "no such shop of yours", body = crate::error::Problem),
    (status = 409, description = "item_limit_reached or sku_taken", body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: AuthUser,
    body: DeferredJson<NewProductRequest>,
) -> ApiResult<HttpResponse> {
    seller_or_admin(&caller)?;
    let body = body.read().await?;
    check_product(ProductFields {
        sku: Some(&body.sku),
        name: Some(&body.name),
        description: Some(&body.description),
        color: body.color.as_deref(),
        size: body.size.as_deref(),
        price: Some(&body.price),
        stock: Some(body.stock),
        variations: body.variations.as_ref(),
        features: body.features.as_ref(),
    })?;
    let mut tx = state.pool.begin().await?;
    let (_, item_limit) = products::lock_shop(&mut tx, body.shop_id)
        .await?
        .filter(|(owner_id, _)| may_manage(&caller, *owner_id))
        .ok_or(ApiError::NotFound)?;
    if products::count_live(&mut tx, body.shop_id).await? >= i64::from(item_limit) {
        return Err(ApiError::Conflict {
            code: "item_limit_reached",
            detail: format!("the shop's item limit ({item_limit}) is reached"),
        });
    }
    check_category(&mut tx, body.category_id).await?;
    let product = products::insert(
        &mut *tx,
        NewProduct {
            shop_id: body.shop_id,
            sku: body.sku.trim(),
            name: body.name.trim(),
            description: &body.description,
            price: &body.price,
            stock: body.stock,
            category_id: body.category_id,
            color: body.color.as_deref(),
            size: body.size.as_deref(),
            variations: &body.variations.unwrap_or_else(|| json!([])),
            features: &body.features.unwrap_or_else(|| json!({})),
        },
    )
    .await
    .map_err(sku_taken)?;
    let meta = json!({ "shop_id": product.shop_id, "sku": product.sku });
    action_log::record(
        &mut *tx,
        Action {
            actor_id: caller.id,
            action: "product.created",
            target_type: "product",
            target_id: product.id,
            meta,
        },
    )
    .await?;
    tx.commit().await?;
    state.catalogue.bump().await;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/products/{}", product.id)))
        .json(ProductView::from(product)))
}

/// Checks that the caller may manage the (live) product, locking its shop; 404 otherwise.
pub(crate) async fn managed_product(
    tx: &mut sqlx::PgConnection,
    caller: &AuthUser,
    id: Uuid,
) -> ApiResult<()> {
    let product = products::find(&mut *tx, id)
        .await?
        .filter(|p| p.deleted_at.is_none())
        .ok_or(ApiError::NotFound)?;
    let (owner_id, _) = products::lock_shop(tx, product.shop_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if may_manage(caller, owner_id) {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

#[utoipa::path(patch, path = "/v1/products/{id}", tag = "catalogue", request_body = ProductUpdate, params(("id" = Uuid, Path)),
    security(("bearer" = [])), responses((status = 200, body = ProductView), (status = 404, body = crate::error::Problem),
    (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<Uuid>,
    body: DeferredJson<ProductUpdate>,
) -> ApiResult<web::Json<ProductView>> {
    seller_or_admin(&caller)?;
    let body = body.read().await?;
    check_product(ProductFields {
        sku: body.sku.as_deref(),
        name: body.name.as_deref(),
        description: body.description.as_deref(),
        color: body.color.as_ref().and_then(Option::as_deref),
        size: body.size.as_ref().and_then(Option::as_deref),
        price: body.price.as_ref(),
        stock: body.stock,
        variations: body.variations.as_ref(),
        features: body.features.as_ref(),
    })?;
    let mut tx = state.pool.begin().await?;
    managed_product(&mut tx, &caller, *id).await?;
    check_category(&mut tx, body.category_id.flatten()).await?;
    let changes = ProductChanges {
        sku: body.sku.map(|s| s.trim().to_owned()),
        name: body.name.map(|n| n.trim().to_owned()),
        description: body.description,
        price: body.price,
        stock: body.stock,
        category_id: body.category_id,
        color: body.color,
        size: body.size,
        variations: body.variations,
        features: body.features,
        published: body.published,
    };
    let product = products::update(&mut tx, *id, &changes)
        .await
        .map_err(sku_taken)?
        .ok_or(ApiError::NotFound)?;
    let meta = json!({ "published": product.published, "stock": product.stock, "price": product.price_amount });
    action_log::record(
        &mut *tx,
        Action {
            actor_id: caller.id,
            action: "product.updated",
            target_type: "product",
            target_id: product.id,
            meta,
        },
    )
    .await?;
    tx.commit().await?;
    state.catalogue.bump().await;
    Ok(web::Json(product.into()))
}

/// Soft delete: the product leaves the catalogue and stops counting against the item limit.
#[utoipa::path(delete, path = "/v1/products/{id}", tag = "catalogue", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = crate::error::Problem)))]
pub async fn delete(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    seller_or_admin(&caller)?;
    let mut tx = state.pool.begin().await?;
    managed_product(&mut tx, &caller, *id).await?;
    products::soft_delete(&mut *tx, *id).await?;
    action_log::record(
        &mut *tx,
        Action {
            actor_id: caller.id,
            action: "product.deleted",
            target_type: "product",
            target_id: *id,
            meta: json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    state.catalogue.bump().await;
    Ok(HttpResponse::NoContent().finish())
}
