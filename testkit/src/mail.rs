//! Reads what the SMTP sink (aiosmtpd's Mailbox handler) stored: one file per message in
//! `$COMPTOIR_STATE_DIR/mail/new` (default /var/tmp/comptoir/mail/new), as scripts/services.sh
//! starts it.

use std::path::PathBuf;
use std::time::Duration;

use crate::wait::wait_until;

pub struct Mail {
    pub to: String,
    pub subject: String,
    pub message_id: String,
    pub text: String,
    pub html: String,
}

fn maildir() -> PathBuf {
    crate::state_dir().join("mail/new")
}

fn parse(raw: &[u8]) -> Option<Mail> {
    let parsed = mailparse::parse_mail(raw).ok()?;
    let header = |name: &str| {
        parsed
            .headers
            .iter()
            .find(|h| h.get_key().eq_ignore_ascii_case(name))
            .map(|h| h.get_value())
            .unwrap_or_default()
    };
    let body_of = |mime: &str| {
        parsed
            .subparts
            .iter()
            .find(|part| part.ctype.mimetype == mime)
            .and_then(|part| part.get_body().ok())
            .unwrap_or_default()
    };
    Some(Mail {
        to: header("To"),
        subject: header("Subject"),
        message_id: header("Message-ID"),
        text: body_of("text/plain"),
        html: body_of("text/html"),
    })
}

/// Every message in the sink addressed to `recipient` (tests use unique addresses).
pub fn messages_to(recipient: &str) -> Vec<Mail> {
    let Ok(entries) = std::fs::read_dir(maildir()) else {
        return Vec::new();
    };
    let needle = recipient.to_ascii_lowercase();
    // std's substring search (precompiled, optimised) keeps this fast in debug builds, when
    // the shared sink holds thousands of messages.
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| std::fs::read(entry.path()).ok())
        .filter(|raw| {
            String::from_utf8_lossy(raw)
                .to_ascii_lowercase()
                .contains(&needle)
        })
        .filter_map(|raw| parse(&raw))
        .filter(|mail| mail.to.to_lowercase().contains(&recipient.to_lowercase()))
        .collect()
}

/// Waits until at least `count` messages to `recipient` arrived, and returns them all.
pub async fn wait_for_messages(recipient: &str, count: usize, timeout: Duration) -> Vec<Mail> {
    wait_until(
        &format!("{count} email(s) to {recipient}"),
        timeout,
        || async {
            let found = messages_to(recipient);
            (found.len() >= count).then_some(found)
        },
    )
    .await
}
