//! The operations the API serves, as `"METHOD /path"`: read from the route table's source and
//! from the served OpenAPI document, so a route added to either cannot escape the matrix.

use std::collections::BTreeSet;

use serde_json::Value;

use comptoir_testkit::TestApp;

/// The route table itself.
const ROUTE_TABLE: &str = include_str!("../../src/routes/mod.rs");
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// `{key:.+}` (an actix pattern) is `{key}` in OpenAPI.
fn normalized(path: &str) -> String {
    let segments: Vec<String> = path
        .split('/')
        .map(|segment| match segment.strip_prefix('{') {
            Some(inner) => format!("{{{}}}", inner.split([':', '}']).next().unwrap_or_default()),
            None => segment.to_owned(),
        })
        .collect();
    segments.join("/")
}

/// The string literal starting at `text`'s first `"`.
fn literal(text: &str) -> &str {
    text.split('"').nth(1).unwrap_or_default()
}

/// Every `resource("…")` of `configure` with the methods routed to it; a `web::scope("…")`
/// prefixes the resources inside its parentheses.
pub fn route_table() -> BTreeSet<String> {
    let body = ROUTE_TABLE
        .split("pub fn configure")
        .nth(1)
        .and_then(|rest| rest.split("\nfn resource").next())
        .expect("the route table's configure()");
    let mut operations = BTreeSet::new();
    let mut depth = 0usize;
    // (prefix, the depth its parentheses close at)
    let mut scopes: Vec<(String, usize)> = Vec::new();
    let mut path: Option<String> = None;
    for (at, c) in body.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if scopes.last().is_some_and(|(_, closes)| *closes == depth) {
                    scopes.pop();
                }
            }
            _ => {}
        }
        let rest = &body[at..];
        if rest.starts_with("web::scope(") {
            // The scope is the argument of a `.service(`, which closes one level up.
            scopes.push((literal(rest).to_owned(), depth - 1));
        } else if rest.starts_with("resource(") {
            let prefix: String = scopes.iter().map(|(p, _)| p.as_str()).collect();
            path = Some(normalized(&format!("{prefix}{}", literal(rest))));
        } else if let Some(method) = METHODS
            .iter()
            .find(|m| rest.starts_with(&format!("web::{m}()")))
        {
            let path = path.as_deref().expect("a method routed after its resource");
            operations.insert(format!("{} {path}", method.to_uppercase()));
        }
    }
    operations
}

/// Every operation of the served `/v1/openapi.json`.
pub async fn documented(app: &TestApp) -> BTreeSet<String> {
    let doc: Value = app
        .get("/v1/openapi.json", None)
        .await
        .json()
        .await
        .expect("the OpenAPI document");
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if METHODS.contains(&method.as_str()) {
                operations.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    operations
}
