//! The web operations console at /admin/: server-rendered pages (minijinja templates embedded in
//! the binary), a little JavaScript that refreshes each page's live part in place, and its own
//! login. Everything but the login page and the static files needs an admin's console session;
//! every POST needs the session's CSRF token.

mod actions;
mod assets;
mod chart;
mod job_pages;
mod login;
mod notices;
mod pages;
mod render;
mod session;

use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpResponse, web};

use crate::error::ApiError;

/// No inline script or style at all: the CSP allows only the console's own files.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "same-origin"))
        // Pages show live state and CSRF tokens: never kept. Static files set their own.
        .add((header::CACHE_CONTROL, "no-store"))
}

async fn to_console() -> HttpResponse {
    session::see_other("/admin/")
}

/// Unknown console paths: the login page without a session, 404 with one.
async fn not_found(_admin: session::ConsoleAdmin) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(to_console)).service(
        web::scope("/admin")
            .wrap(security_headers())
            .route("/static/{name}", web::get().to(assets::serve))
            .route("/login", web::get().to(login::page))
            .route("/login", web::post().to(login::submit))
            .route("/logout", web::post().to(login::logout))
            .route("/", web::get().to(pages::overview))
            .route("/workers", web::get().to(pages::workers))
            .route("/work", web::get().to(pages::work))
            .route("/dead", web::get().to(job_pages::dead))
            .route("/jobs", web::get().to(job_pages::list))
            .route("/jobs/retry-dead", web::post().to(actions::retry_dead))
            .route("/jobs/{id}", web::get().to(job_pages::show))
            .route("/jobs/{id}/retry", web::post().to(actions::retry))
            .route("/jobs/{id}/cancel", web::post().to(actions::cancel))
            .default_service(web::to(not_found)),
    );
}
