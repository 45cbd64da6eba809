//! The console's templates (embedded in the binary) and how a page or its live fragment is
//! answered. Autoescaping is on for every template (they all end in `.html`), so payloads and
//! error texts show as text, never as markup.

use std::sync::LazyLock;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use minijinja::{Environment, Value};

use super::assets;
use crate::error::ApiError;

/// Sent by console.js when it refreshes a page in place: only the live part is answered.
pub const FRAGMENT_HEADER: &str = "x-console-fragment";

const TEMPLATES: [(&str, &str); 9] = [
    ("base.html", include_str!("templates/base.html")),
    ("macros.html", include_str!("templates/macros.html")),
    ("login.html", include_str!("templates/login.html")),
    ("overview.html", include_str!("templates/overview.html")),
    ("workers.html", include_str!("templates/workers.html")),
    ("jobs.html", include_str!("templates/jobs.html")),
    ("job.html", include_str!("templates/job.html")),
    ("dead.html", include_str!("templates/dead.html")),
    ("work.html", include_str!("templates/work.html")),
];

static TEMPLATE_ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .unwrap_or_else(|err| panic!("console template {name}: {err:#}"));
    }
    // A URL of ours, not user input: kept as written (autoescape would spell `/` as `&#x2f;`).
    env.add_function("asset", |name: String| {
        Value::from_safe_string(assets::url(&name))
    });
    env.add_filter("ago", ago);
    env.add_filter("millis", millis);
    env
});

/// "42s ago", "3m ago", "5h ago" from an RFC 3339 time; the text itself when it is not one.
fn ago(value: String) -> String {
    let Ok(at) = DateTime::parse_from_rfc3339(&value) else {
        return value;
    };
    let secs = (Utc::now() - at.with_timezone(&Utc)).num_seconds().max(0);
    match secs {
        0..60 => format!("{secs}s ago"),
        60..3600 => format!("{}m ago", secs / 60),
        3600..86_400 => format!("{}h ago", secs / 3600),
        _ => format!("{}d ago", secs / 86_400),
    }
}

/// A run time in milliseconds as people read it: "85 ms", "2.4 s", "3.1 min".
fn millis(value: Option<f64>) -> String {
    match value {
        None => "–".to_owned(),
        Some(ms) if ms < 1000.0 => format!("{ms:.0} ms"),
        Some(ms) if ms < 60_000.0 => format!("{:.1} s", ms / 1000.0),
        Some(ms) => format!("{:.1} min", ms / 60_000.0),
    }
}

/// The whole page, or only its `live` block when console.js asks for a refresh.
pub fn page(
    request: &HttpRequest,
    template: &str,
    context: Value,
) -> Result<HttpResponse, ApiError> {
    page_with_status(request, StatusCode::OK, template, context)
}

pub fn page_with_status(
    request: &HttpRequest,
    status: StatusCode,
    template: &str,
    context: Value,
) -> Result<HttpResponse, ApiError> {
    let template = TEMPLATE_ENV
        .get_template(template)
        .map_err(ApiError::internal)?;
    let html = if request.headers().contains_key(FRAGMENT_HEADER) {
        template
            .render_captured(context)
            .and_then(|mut captured| captured.with_state_mut(|state| state.render_block("live")))
    } else {
        template.render(context)
    }
    .map_err(ApiError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::VARY, HeaderValue::from_static(FRAGMENT_HEADER)))
        .body(html))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        assert!(TEMPLATE_ENV.get_template("overview.html").is_ok());
    }

    #[test]
    fn run_times_read_well() {
        assert_eq!(millis(Some(85.2)), "85 ms");
        assert_eq!(millis(Some(2400.0)), "2.4 s");
        assert_eq!(millis(None), "–");
    }
}
