//! POST /v1/shops/{id}/skip: an admin closes a shop at once. The status change is immediate
//! (the shop and its products leave the catalogue); the backup snapshot and the owner's email
//! are jobs enqueued in the same transaction. Skipping a shop already disabled changes nothing:
//! one skip, one snapshot, one email, however often (or concurrently) it is asked.

use actix_web::web;
use chrono::Utc;
use serde_json::json;
use uuid::Uuid;

use comptoir_domain::action_log::{self, Action};
use comptoir_domain::shops::{self, Shop, ShopChanges};
use comptoir_domain::users;
use comptoir_jobs::email::{EmailMessage, SendEmail};
use comptoir_jobs::shops::ShopSnapshot;

use crate::auth::Admin;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

#[utoipa::path(post, path = "/v1/shops/{id}/skip", tag = "shops", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Shop), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn skip(
    state: web::Data<AppState>,
    Admin(actor): Admin,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<Shop>> {
    let id = id.into_inner();
    let mut tx = state.pool.begin().await?;
    let before = shops::lock(&mut tx, id).await?.ok_or(ApiError::NotFound)?;
    if before.status == "disabled" {
        return Ok(web::Json(before));
    }
    let changes = ShopChanges {
        status: Some("disabled".to_owned()),
        ..ShopChanges::default()
    };
    let shop = shops::update(&mut tx, id, &changes)
        .await?
        .ok_or(ApiError::NotFound)?;
    let requested_at = Utc::now().to_rfc3339();
    let snapshot = ShopSnapshot {
        shop_id: id,
        requested_at: requested_at.clone(),
    };
    state.producer.enqueue(&mut tx, &snapshot).await?;
    let owner = users::find_by_id(&mut *tx, shop.owner_id).await?;
    if let Some((owner, email)) = owner.and_then(|o| o.email.clone().map(|e| (o, e))) {
        let message = EmailMessage::ShopSkipped {
            name: owner.name,
            shop_name: shop.name.clone(),
        };
        let email = SendEmail {
            to: email,
            dedupe_key: format!("shop-skipped:{id}:{requested_at}"),
            message,
        };
        state.producer.enqueue(&mut tx, &email).await?;
    }
    let meta = json!({ "from": before.status, "snapshot_requested_at": requested_at });
    action_log::record(
        &mut *tx,
        Action {
            actor_id: actor.id,
            action: "shop.skipped",
            target_type: "shop",
            target_id: id,
            meta,
        },
    )
    .await?;
    state.producer.commit(tx).await?;
    state.catalogue.bump().await;
    Ok(web::Json(shop))
}
