//! HTTP clients of the SMS providers (Twilio, Africa's Talking) and the `log` provider, written
//! from their wire formats. A message must reach a provider at most once, so each failure says
//! whether the provider can have taken it.

pub mod africastalking;
pub mod log;
pub mod twilio;

use reqwest::{RequestBuilder, Response};

/// How a send failed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The provider did not take it (no connection, 429, 5xx): safe to send again later.
    #[error("not taken by the provider: {0:#}")]
    NotTaken(anyhow::Error),
    /// The request went out and no answer came back: it may have been sent.
    #[error("no answer from the provider: {0:#}")]
    Unknown(anyhow::Error),
    /// Refused for good (an invalid number, a blocked recipient): the provider's words.
    #[error("refused by the provider: {0}")]
    Rejected(String),
}

pub type SendResult = Result<String, SendError>;

/// Sends `request`: a failure to connect never reached the provider, any later one may have.
async fn send(request: RequestBuilder) -> Result<Response, SendError> {
    request.send().await.map_err(|err| {
        if err.is_connect() {
            SendError::NotTaken(err.into())
        } else {
            SendError::Unknown(err.into())
        }
    })
}

/// The status and the body; a body lost on the way leaves the outcome unknown.
async fn read(response: Response) -> Result<(reqwest::StatusCode, Vec<u8>), SendError> {
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|err| SendError::Unknown(err.into()))?;
    Ok((status, body.to_vec()))
}

/// The start of a body, for an error message.
fn excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned()
}
