//! What a page says after an action sent the browser back to it (post/redirect/get). The URL
//! carries only a fixed code, so nobody can make the console display words of theirs.

use serde::Serialize;

#[derive(Serialize)]
pub struct Notice {
    text: String,
    /// `ok` or `error`: how the banner looks.
    tone: &'static str,
}

/// The codes actions redirect with, and what each says.
fn from_code(code: &str, count: Option<u32>) -> Option<(&'static str, String)> {
    Some(match code {
        "retried" => ("ok", "The job is queued again.".to_owned()),
        "cancelled" => ("ok", "The job is cancelled.".to_owned()),
        "cancel_requested" => (
            "ok",
            "The job is running: its worker was asked to stop it.".to_owned(),
        ),
        "bulk_retried" => (
            "ok",
            format!("{} dead job(s) queued again.", count.unwrap_or(0)),
        ),
        "not_retryable" => (
            "error",
            "Only failed or dead jobs can be retried.".to_owned(),
        ),
        "not_cancellable" => ("error", "This job has already ended.".to_owned()),
        _ => return None,
    })
}

impl Notice {
    pub fn from_query(code: Option<&str>, count: Option<u32>) -> Option<Notice> {
        let (tone, text) = from_code(code?, count)?;
        Some(Notice { text, tone })
    }
}
