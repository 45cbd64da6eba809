//! Route table: one module per resource; the OpenAPI document is built from the same handlers.

pub mod action_logs;
pub mod auth;
mod docs;
pub mod health;
pub mod jobs;
pub mod users;

use actix_web::middleware::from_fn;
use actix_web::web;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::ApiError;

pub use docs::ApiDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health/live", web::get().to(health::live))
        .route("/health/ready", web::get().to(health::ready))
        .service(SwaggerUi::new("/docs/{_:.*}").url("/v1/openapi.json", ApiDoc::openapi()))
        .route("/docs", web::get().to(docs::redirect_to_ui))
        .service(
            web::scope("/v1/auth")
                .wrap(from_fn(auth::rate_limit))
                .route("/register", web::post().to(auth::register))
                .route("/login", web::post().to(auth::login))
                .route("/refresh", web::post().to(auth::refresh))
                .route("/logout", web::post().to(auth::logout))
                .route("/me", web::get().to(auth::me)),
        )
        .route("/v1/users", web::get().to(users::list))
        .route("/v1/users/{id}", web::patch().to(users::update))
        .route("/v1/admin/jobs", web::get().to(jobs::list))
        .route("/v1/admin/jobs/{id}", web::get().to(jobs::get))
        .route("/v1/admin/jobs/{id}/retry", web::post().to(jobs::retry))
        .route("/v1/action-logs", web::get().to(action_logs::list))
        .default_service(web::to(route_not_found));
}

async fn route_not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NoRoute)
}
