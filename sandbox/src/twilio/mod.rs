//! Twilio Programmable Messaging: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` queues
//! a text (it lands in the phone inbox) and reports its fate to the message's `StatusCallback`.

mod error;
mod message;
mod status;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;

use crate::ids;
use crate::inbox::Sms;
use crate::sms::{self, Form};
use crate::state::{AppState, lock};
use error::{TwilioError, authenticate};
use message::Message;

const API_VERSION: &str = "2010-04-01";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/2010-04-01/Accounts/{account_sid}/Messages.json",
        web::post().to(send),
    );
}

async fn send(
    state: web::Data<AppState>,
    req: HttpRequest,
    account_sid: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, TwilioError> {
    let settings = &state.settings;
    authenticate(&req, &account_sid, settings)?;
    let message = Message::parse(&Form::parse(&body))?;
    let sid = format!("SM{}", ids::hex(32));
    let now = Utc::now();
    let delivered = sms::is_deliverable(&message.to);
    lock(&state.inbox).record(Sms {
        provider: "twilio",
        id: sid.clone(),
        to: message.to.clone(),
        from: message.sender().to_owned(),
        body: message.body.clone(),
        status: status::final_status(delivered),
        received_at: now,
    });
    tracing::info!(%sid, to = %message.to, "Twilio message queued");
    let account_sid = &settings.twilio_account_sid;
    state.courier.send(status::callbacks(
        &message,
        account_sid,
        &sid,
        &settings.twilio_auth_token,
        delivered,
    ));
    Ok(HttpResponse::Created().json(message.resource(account_sid, &sid, now)))
}
