//! /v1/me/consents: every signed-in user reads and sets their consent to marketing by email and
//! by SMS. Each change is recorded with its time and source; marketing notification batches
//! honour the current choice.

use actix_web::{HttpRequest, http::header, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use comptoir_domain::consents::{self, Consent, ConsentChange, ConsentChannel, ConsentSource};

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::DeferredJson;
use crate::state::AppState;

/// Changes shown with the current choices, newest first.
const HISTORY_SHOWN: i64 = 50;
/// The longest user agent recorded as a change's source.
const MAX_USER_AGENT_CHARS: usize = 200;

/// One channel's consent: `granted` is `false` until the user says otherwise (opt-in).
#[derive(Serialize, ToSchema)]
pub struct ConsentView {
    pub granted: bool,
    /// When the current choice was made; `null` if never.
    pub set_at: Option<DateTime<Utc>>,
    /// How: `api` (this route).
    pub source: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ConsentsView {
    pub marketing_email: ConsentView,
    pub marketing_sms: ConsentView,
    /// The latest changes (up to 50), newest first.
    pub history: Vec<ConsentChange>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentsUpdate {
    /// Marketing by email; omit to leave it as it is.
    pub marketing_email: Option<bool>,
    /// Marketing by SMS; omit to leave it as it is.
    pub marketing_sms: Option<bool>,
}

fn view_of(current: &[Consent], channel: ConsentChannel) -> ConsentView {
    let chosen = current.iter().find(|c| c.channel == channel.as_str());
    ConsentView {
        granted: chosen.is_some_and(|c| c.granted),
        set_at: chosen.map(|c| c.set_at),
        source: chosen.map(|c| c.source.clone()),
    }
}

async fn view(state: &AppState, caller: &AuthUser) -> ApiResult<ConsentsView> {
    let current = consents::current(&state.pool, caller.id).await?;
    Ok(ConsentsView {
        marketing_email: view_of(&current, ConsentChannel::Email),
        marketing_sms: view_of(&current, ConsentChannel::Sms),
        history: consents::history(&state.pool, caller.id, HISTORY_SHOWN).await?,
    })
}

/// The caller's marketing consents and their latest changes.
#[utoipa::path(get, path = "/v1/me/consents", tag = "consents", security(("bearer" = [])),
    responses((status = 200, body = ConsentsView), (status = 401, body = crate::error::Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: AuthUser,
) -> ApiResult<web::Json<ConsentsView>> {
    Ok(web::Json(view(&state, &caller).await?))
}

/// The request's user agent, printable and cut to a bounded length.
fn user_agent(request: &HttpRequest) -> Option<String> {
    let agent = request.headers().get(header::USER_AGENT)?.to_str().ok()?;
    let agent: String = agent
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_USER_AGENT_CHARS)
        .collect();
    (!agent.trim().is_empty()).then_some(agent)
}

/// Sets the caller's marketing consents (one or both). A value equal to the current one records
/// nothing; each real change is stored with its time and source (`api`, and the user agent).
#[utoipa::path(put, path = "/v1/me/consents", tag = "consents", request_body = ConsentsUpdate,
    security(("bearer" = [])), responses((status = 200, body = ConsentsView),
    (status = 401, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn put(
    state: web::Data<AppState>,
    caller: AuthUser,
    request: HttpRequest,
    body: DeferredJson<ConsentsUpdate>,
) -> ApiResult<web::Json<ConsentsView>> {
    let update = body.read().await?;
    let choices = [
        (ConsentChannel::Email, update.marketing_email),
        (ConsentChannel::Sms, update.marketing_sms),
    ];
    if choices.iter().all(|(_, granted)| granted.is_none()) {
        return Err(ApiError::field(
            "marketing_email",
            "give `marketing_email`, `marketing_sms` or both",
        ));
    }
    let agent = user_agent(&request);
    let source = ConsentSource {
        source: "api",
        user_agent: agent.as_deref(),
    };
    let mut tx = state.pool.begin().await?;
    for (channel, granted) in choices {
        if let Some(granted) = granted
            && consents::set(&mut tx, caller.id, channel, granted, &source).await?
        {
            tracing::info!(user_id = %caller.id, channel = channel.as_str(), granted, "consent changed");
        }
    }
    tx.commit().await?;
    Ok(web::Json(view(&state, &caller).await?))
}
