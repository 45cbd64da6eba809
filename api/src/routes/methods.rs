//! HTTP method details the router does not give for free: HEAD on every GET route (the GET
//! answer without its body) and an `Allow` header on 405s, read from the OpenAPI document,
//! which a test keeps equal to the routes served.

use std::collections::HashMap;
use std::sync::OnceLock;

use actix_web::body::{EitherBody, MessageBody, None as NoBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{ALLOW, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use utoipa::OpenApi;

use super::docs::ApiDoc;
use crate::error::ApiError;

/// Route pattern (`/v1/shops/{id}`) → its methods, e.g. `GET, HEAD, PATCH`.
fn allowed_by_route() -> &'static HashMap<String, String> {
    static ALLOWED: OnceLock<HashMap<String, String>> = OnceLock::new();
    ALLOWED.get_or_init(|| {
        ApiDoc::openapi()
            .paths
            .paths
            .into_iter()
            .map(|(path, item)| {
                let mut methods = Vec::new();
                if item.get.is_some() {
                    methods.extend(["GET", "HEAD"]);
                }
                for (operation, name) in [
                    (&item.post, "POST"),
                    (&item.put, "PUT"),
                    (&item.patch, "PATCH"),
                    (&item.delete, "DELETE"),
                ] {
                    if operation.is_some() {
                        methods.push(name);
                    }
                }
                (path, methods.join(", "))
            })
            .collect()
    })
}

/// actix's `{key:.+}` is OpenAPI's `{key}`.
fn openapi_path(pattern: &str) -> String {
    let segment = |segment: &str| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}'))
    {
        Some(inner) => format!("{{{}}}", inner.split(':').next().unwrap_or(inner)),
        None => segment.to_owned(),
    };
    pattern
        .split('/')
        .map(segment)
        .collect::<Vec<_>>()
        .join("/")
}

/// The 405 of a known route, naming the methods it has.
pub async fn not_allowed(req: HttpRequest) -> HttpResponse {
    let mut response = ApiError::MethodNotAllowed.error_response();
    let allow = req
        .match_pattern()
        .and_then(|pattern| allowed_by_route().get(&openapi_path(&pattern)))
        .and_then(|methods| HeaderValue::from_str(methods).ok());
    if let Some(allow) = allow {
        response.headers_mut().insert(ALLOW, allow);
    }
    response
}

/// Serves HEAD as GET, then drops the body (headers stay).
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, NoBody>>, actix_web::Error> {
    if req.method() != Method::HEAD {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    req.head_mut().method = Method::GET;
    let response = next.call(req).await?;
    Ok(response
        .map_body(|_, _| NoBody::new())
        .map_into_right_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actix_patterns_become_openapi_paths() {
        assert_eq!(openapi_path("/v1/media/{key:.+}"), "/v1/media/{key}");
        assert_eq!(openapi_path("/v1/shops/{id}"), "/v1/shops/{id}");
        assert_eq!(allowed_by_route()["/v1/shops/{id}"], "GET, HEAD, PATCH");
        assert_eq!(allowed_by_route()["/v1/auth/login"], "POST");
    }
}
