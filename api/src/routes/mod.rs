//! Route table: one module per resource; the OpenAPI document is built from the same handlers.

pub mod action_logs;
pub mod auth;
pub mod canary;
pub mod catalogue;
pub mod categories;
pub mod consents;
mod docs;
pub mod health;
pub mod imports;
pub mod jobs;
pub mod login;
pub mod media;
pub(crate) mod methods;
pub mod notifications;
pub mod operations;
pub mod orders;
pub mod otp;
pub mod payments;
pub mod privacy;
pub mod product_images;
pub mod products;
pub mod promotions;
pub mod quotes;
pub mod refunds;
pub mod reports;
pub mod shop_skip;
pub mod shops;
pub mod sms;
pub mod users;
pub mod webhooks;

use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpResponse, Resource, web};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::ApiError;

pub use docs::ApiDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/health/live").route(web::get().to(health::live)))
        .service(resource("/health/ready").route(web::get().to(health::ready)))
        .service(SwaggerUi::new("/docs/{_:.*}").url("/v1/openapi.json", ApiDoc::openapi()))
        .service(resource("/docs").route(web::get().to(docs::redirect_to_ui)))
        .service(
            web::scope("/v1/auth")
                // Tokens and codes: never kept by a browser or a proxy cache.
                .wrap(DefaultHeaders::new().add((header::CACHE_CONTROL, "no-store")))
                .service(resource("/register").route(web::post().to(auth::register)))
                .service(resource("/login").route(web::post().to(login::login)))
                .service(resource("/refresh").route(web::post().to(auth::refresh)))
                .service(resource("/logout").route(web::post().to(auth::logout)))
                .service(resource("/me").route(web::get().to(auth::me)))
                .service(resource("/otp/send").route(web::post().to(otp::send)))
                .service(resource("/otp/verify").route(web::post().to(otp::verify)))
                .service(resource("/password/reset").route(web::post().to(otp::reset_password))),
        )
        .service(resource("/v1/me").route(web::delete().to(privacy::erase_me)))
        .service(resource("/v1/me/data-export").route(web::post().to(privacy::request_export)))
        .service(resource("/v1/me/data-exports/{id}").route(web::get().to(privacy::get_export)))
        .service(
            resource("/v1/me/data-exports/{id}/download")
                .route(web::get().to(privacy::download_export)),
        )
        .service(resource("/v1/admin/users/{id}/erase").route(web::post().to(privacy::erase_user)))
        .service(
            resource("/v1/me/consents")
                .route(web::get().to(consents::get))
                .route(web::put().to(consents::put)),
        )
        .service(resource("/v1/users").route(web::get().to(users::list)))
        .service(resource("/v1/users/{id}").route(web::patch().to(users::update)))
        .service(resource("/v1/admin/jobs").route(web::get().to(jobs::list)))
        .service(resource("/v1/admin/jobs/canary").route(web::post().to(canary::canary)))
        // Before `/v1/admin/jobs/{id}`, which would take "retry" for an id.
        .service(resource("/v1/admin/jobs/retry").route(web::post().to(jobs::retry_dead)))
        .service(resource("/v1/admin/jobs/{id}").route(web::get().to(jobs::get)))
        .service(resource("/v1/admin/jobs/{id}/retry").route(web::post().to(jobs::retry)))
        .service(resource("/v1/admin/jobs/{id}/cancel").route(web::post().to(jobs::cancel)))
        .service(resource("/v1/admin/queues").route(web::get().to(operations::queues)))
        .service(resource("/v1/admin/workers").route(web::get().to(operations::workers)))
        .service(resource("/v1/admin/sms").route(web::get().to(sms::list)))
        .service(resource("/v1/webhooks/sms/twilio").route(web::post().to(sms::twilio_report)))
        .service(
            resource("/v1/webhooks/sms/africastalking")
                .route(web::post().to(sms::africastalking_report)),
        )
        .service(resource("/v1/webhooks/stripe").route(web::post().to(webhooks::stripe)))
        .service(
            resource("/v1/webhooks/mobile-money/cinetpay")
                .route(web::get().to(webhooks::cinetpay_ping))
                .route(web::post().to(webhooks::cinetpay)),
        )
        .service(
            resource("/v1/webhooks/mobile-money/paygate").route(web::post().to(webhooks::paygate)),
        )
        .service(resource("/v1/action-logs").route(web::get().to(action_logs::list)))
        .service(
            resource("/v1/shops")
                .route(web::get().to(shops::list))
                .route(web::post().to(shops::create)),
        )
        .service(
            resource("/v1/shops/{id}")
                .route(web::get().to(shops::get))
                .route(web::patch().to(shops::update)),
        )
        .service(resource("/v1/shops/{id}/duration").route(web::post().to(shops::set_duration)))
        .service(resource("/v1/shops/{id}/skip").route(web::post().to(shop_skip::skip)))
        .service(
            resource("/v1/products")
                .route(web::get().to(catalogue::list))
                .route(web::post().to(products::create)),
        )
        // Before `/v1/products/{id}`, which would take "bulk" for an id.
        .service(resource("/v1/products/bulk").route(web::post().to(imports::bulk)))
        .service(resource("/v1/imports/{id}").route(web::get().to(imports::get)))
        .service(resource("/v1/imports/{id}/errors").route(web::get().to(imports::errors)))
        .service(
            resource("/v1/products/{id}")
                .route(web::get().to(catalogue::get))
                .route(web::patch().to(products::update))
                .route(web::delete().to(products::delete)),
        )
        .service(resource("/v1/products/{id}/images").route(web::post().to(product_images::upload)))
        .service(
            resource("/v1/products/{id}/images/{image_id}")
                .route(web::get().to(product_images::get)),
        )
        .service(resource("/v1/media/{key:.+}").route(web::get().to(media::get)))
        .service(
            resource("/v1/notifications")
                .route(web::get().to(notifications::list))
                .route(web::post().to(notifications::create)),
        )
        .service(
            resource("/v1/notifications/batches/{id}")
                .route(web::get().to(notifications::get_batch)),
        )
        .service(resource("/v1/notifications/{id}").route(web::patch().to(notifications::update)))
        .service(
            resource("/v1/orders")
                .route(web::get().to(orders::list))
                .route(web::post().to(orders::place::create)),
        )
        .service(
            resource("/v1/orders/{id}")
                .route(web::get().to(orders::get))
                .route(web::patch().to(orders::update)),
        )
        .service(resource("/v1/orders/{id}/payments").route(web::post().to(payments::create)))
        .service(
            resource("/v1/orders/{id}/documents").route(web::get().to(orders::documents::list)),
        )
        .service(
            resource("/v1/orders/{id}/documents/{kind}/download")
                .route(web::get().to(orders::documents::download)),
        )
        .service(
            resource("/v1/quotes")
                .route(web::post().to(quotes::create))
                .route(web::get().to(quotes::list)),
        )
        .service(resource("/v1/quotes/{id}").route(web::get().to(quotes::get)))
        .service(resource("/v1/quotes/{id}/offer").route(web::post().to(quotes::answers::offer)))
        .service(resource("/v1/quotes/{id}/accept").route(web::post().to(quotes::answers::accept)))
        .service(resource("/v1/quotes/{id}/reject").route(web::post().to(quotes::answers::reject)))
        .service(resource("/v1/quotes/{id}/pdf").route(web::get().to(quotes::pdf::download)))
        .service(resource("/v1/payments").route(web::get().to(payments::list)))
        .service(resource("/v1/payments/{id}").route(web::get().to(payments::get)))
        .service(resource("/v1/payments/{id}/refund").route(web::post().to(refunds::create)))
        .service(
            resource("/v1/promotions")
                .route(web::get().to(promotions::list))
                .route(web::post().to(promotions::create)),
        )
        .service(
            resource("/v1/reports")
                .route(web::get().to(reports::list))
                .route(web::post().to(reports::create)),
        )
        .service(resource("/v1/reports/{id}").route(web::get().to(reports::get)))
        .service(resource("/v1/reports/{id}/download").route(web::get().to(reports::download)))
        .service(
            resource("/v1/categories")
                .route(web::get().to(categories::tree))
                .route(web::post().to(categories::create)),
        )
        .default_service(web::to(route_not_found));
}

/// A route whose other methods answer a problem+json 405 (resources would otherwise inherit the
/// app's 404 default).
fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(methods::not_allowed))
}

async fn route_not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NoRoute)
}
