//! The phone that receives every text the sandbox accepted: `GET /sandbox/sms` for tests (they
//! read one-time codes there), `GET /sandbox/phone` for a person.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::Value;

use crate::html;
use crate::state::{AppState, lock};

#[derive(Deserialize)]
pub struct Filter {
    to: Option<String>,
}

impl Filter {
    fn number(&self) -> Option<&str> {
        self.to
            .as_deref()
            .map(str::trim)
            .filter(|to| !to.is_empty())
    }
}

/// `GET /sandbox/sms[?to=…]`: the texts as JSON, newest last.
pub async fn list(state: web::Data<AppState>, filter: web::Query<Filter>) -> HttpResponse {
    let texts: Vec<Value> = lock(&state.inbox)
        .list(filter.number())
        .map(|sms| sms.json())
        .collect();
    HttpResponse::Ok().json(texts)
}

/// `GET /sandbox/phone[?to=…]`: the texts by number, newest first.
pub async fn show(state: web::Data<AppState>, filter: web::Query<Filter>) -> HttpResponse {
    let inbox = lock(&state.inbox);
    let page = html::phone(filter.number(), &inbox.by_number(filter.number()));
    drop(inbox);
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(page)
}
