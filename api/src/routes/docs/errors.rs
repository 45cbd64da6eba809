//! Documents the error answers every operation really gives, as `application/problem+json`
//! with the `Problem` schema. The handlers' annotations name the answers particular to them
//! (403 for a role, 409, 423…); the answers that come from the shared layers (the parser, the
//! JSON and query extractors, the auth guard, the rate limiter, the database pool) are added here
//! from what each operation has: a body, parameters, a path id, a security requirement.

use utoipa::Modify;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{
    ContentBuilder, ObjectBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder, Type,
    header::HeaderBuilder,
};

const PROBLEM_JSON: &str = "application/problem+json";

pub struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                add_shared_answers(path, operation);
                serve_errors_as_problems(operation);
            }
        }
    }
}

/// Which shared layers an operation goes through.
struct Traits {
    has_body: bool,
    has_query: bool,
    has_path_id: bool,
    /// A bearer token is accepted (required or optional): a bad one is a 401.
    takes_token: bool,
    /// A bearer token is required: a banned account or the wrong role is a 403.
    needs_token: bool,
    /// Served without the database (liveness, the document itself).
    uses_database: bool,
}

impl Traits {
    fn of(path: &str, operation: &Operation) -> Self {
        let parameters = operation.parameters.as_deref().unwrap_or_default();
        let located = |place: ParameterIn| {
            parameters
                .iter()
                .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == place))
        };
        let security = operation.security.as_deref().unwrap_or_default();
        let optional = security.contains(&SecurityRequirement::default());
        Self {
            has_body: operation.request_body.is_some(),
            has_query: located(ParameterIn::Query),
            has_path_id: located(ParameterIn::Path),
            takes_token: !security.is_empty(),
            needs_token: !security.is_empty() && !optional,
            uses_database: path != "/health/live",
        }
    }
}

fn add_shared_answers(path: &str, operation: &mut Operation) {
    let traits = Traits::of(path, operation);
    let mut add = |status: &str, description: &str| {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::T(problem(description)));
    };
    add(
        "400",
        "`malformed_json` (a body that is not JSON) or a request the HTTP parser refuses",
    );
    if traits.has_body || traits.has_query {
        add(
            "422",
            "`validation_failed`, with the messages per field in `errors`",
        );
    }
    if traits.has_body {
        add("408", "`request_timeout`: the body stopped arriving");
        add("413", "`payload_too_large`: the body is over the limit");
        add(
            "415",
            "`unsupported_media_type`: the body is not of the documented type",
        );
    }
    if traits.has_path_id {
        add(
            "404",
            "`not_found`: no such resource, or not one the caller may see",
        );
    }
    if traits.takes_token {
        add(
            "401",
            "missing, invalid or expired access token, or a session that has ended",
        );
    }
    if traits.needs_token {
        add(
            "403",
            "`account_banned`, or the caller's role may not do this",
        );
    }
    if traits.uses_database {
        add("503", "`service_unavailable`: PostgreSQL cannot be reached");
    }
    operation
        .responses
        .responses
        .entry("429".to_owned())
        .or_insert_with(|| RefOr::T(rate_limited()));
}

/// Every error answer is a problem document, whatever the annotation wrote.
fn serve_errors_as_problems(operation: &mut Operation) {
    for (status, response) in operation.responses.responses.iter_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        if status.starts_with('4') || status.starts_with('5') {
            response.content.clear();
            response
                .content
                .insert(PROBLEM_JSON.to_owned(), RefOr::T(problem_content()));
        }
    }
}

fn problem_content() -> utoipa::openapi::Content {
    ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .build()
}

fn problem(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(PROBLEM_JSON, problem_content())
        .build()
}

fn rate_limited() -> Response {
    let seconds = |description: &str| {
        HeaderBuilder::new()
            .schema(Some(ObjectBuilder::new().schema_type(Type::Integer)))
            .description(Some(description))
            .build()
    };
    let mut response = problem(
        "`rate_limited` (over a request budget) or `too_many_connections` (this address holds \
         too many connections); retry after `Retry-After` seconds",
    );
    response.headers.insert(
        "Retry-After".to_owned(),
        RefOr::T(seconds("seconds until the window ends")),
    );
    response
}
