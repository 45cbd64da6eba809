//! The OpenAPI 3.1 document, generated from the handlers' annotations.

mod errors;

use errors::ProblemResponses;

use actix_web::HttpResponse;
use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use super::{
    action_logs, auth, canary, catalogue, categories, consents, health, imports, jobs, login,
    media, notifications, operations, orders, otp, payments, privacy, product_images, products,
    promotions, quotes, refunds, reports, shop_skip, shops, sms, users, webhooks,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Comptoir API", description = "Back office engine for multi-shop marketplaces."),
    paths(
        health::live, health::ready,
        auth::register, login::login, auth::refresh, auth::logout, auth::me,
        otp::send, otp::verify, otp::reset_password,
        sms::twilio_report, sms::africastalking_report, sms::list,
        users::list, users::update,
        consents::get, consents::put,
        privacy::request_export, privacy::get_export, privacy::download_export,
        privacy::erase_me, privacy::erase_user,
        jobs::list, jobs::get, jobs::retry, jobs::retry_dead, jobs::cancel, canary::canary,
        operations::queues, operations::workers,
        payments::create, payments::get, payments::list, refunds::create,
        webhooks::stripe, webhooks::cinetpay_ping, webhooks::cinetpay, webhooks::paygate,
        action_logs::list,
        shops::create, shops::list, shops::get, shops::update, shops::set_duration, shop_skip::skip,
        categories::tree, categories::create,
        catalogue::list, catalogue::get, products::create, products::update, products::delete,
        product_images::upload, product_images::get, media::get,
        imports::bulk, imports::get, imports::errors,
        notifications::create, notifications::get_batch, notifications::list, notifications::update,
        orders::place::create, orders::list, orders::get, orders::update,
        orders::documents::list, orders::documents::download,
        promotions::create, promotions::list,
        quotes::create, quotes::list, quotes::get, quotes::answers::offer, quotes::answers::accept,
        quotes::answers::reject, quotes::pdf::download,
        reports::create, reports::list, reports::get, reports::download,
    ),
    components(schemas(crate::error::Problem)),
    modifiers(&BearerAuth, &ProblemResponses),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

pub async fn redirect_to_ui() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header(("Location", "/docs/"))
        .finish()
}
