//! Virus scanning with clamd (`INSTREAM` over TCP). The reply has three outcomes: `OK` (clean),
//! `<signature> FOUND` (infected) and anything else (clamd's `ERROR` replies, e.g. a stream over
//! its size limit, or a reply we cannot read), which is never taken for clean. clamd being
//! unreachable or too slow is an outage: the job retries, the image never passes unscanned.

use std::time::Duration;

use comptoir_domain::config::ClamdSettings;

use crate::error::JobError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Clean,
    /// The signature name clamd reported.
    Infected(String),
    /// clamd could not scan the file (or said something we do not understand).
    Error(String),
}

#[derive(Debug, Clone)]
pub struct Scanner {
    address: String,
    timeout: Duration,
    max_stream_bytes: u64,
}

impl Scanner {
    pub fn new(settings: &ClamdSettings) -> Self {
        Self {
            address: settings.address.clone(),
            timeout: Duration::from_secs(settings.timeout_secs),
            max_stream_bytes: settings.max_stream_bytes,
        }
    }

    /// Scans `bytes`; `Err` (transient) when clamd cannot be reached or does not answer in time.
    pub async fn scan(&self, bytes: &[u8]) -> Result<Verdict, JobError> {
        // clamd would cut the stream off at its StreamMaxLength; such a file is unscannable.
        if bytes.len() as u64 > self.max_stream_bytes {
            return Ok(Verdict::Error(format!(
                "{} bytes is over clamd's stream limit of {} bytes",
                bytes.len(),
                self.max_stream_bytes
            )));
        }
        let connection = clamav_client::tokio::Tcp {
            host_address: self.address.as_str(),
        };
        let reply = tokio::time::timeout(
            self.timeout,
            clamav_client::tokio::scan_buffer(bytes, connection, None),
        )
        .await
        .map_err(|_| {
            JobError::Transient(anyhow::anyhow!(
                "clamd at {} did not answer within {:?}",
                self.address,
                self.timeout
            ))
        })?
        .map_err(|error| {
            JobError::Transient(
                anyhow::Error::new(error).context(format!("clamd at {} failed", self.address)),
            )
        })?;
        Ok(parse_reply(&reply))
    }
}

/// Reads clamd's reply to `zINSTREAM`: `stream: OK`, `stream: <name> FOUND`, `<why> ERROR`.
pub fn parse_reply(reply: &[u8]) -> Verdict {
    let text = String::from_utf8_lossy(reply);
    let text = text.trim_end_matches(['\0', '\n']).trim();
    let body = text.strip_prefix("stream:").map_or(text, str::trim);
    if body == "OK" {
        return Verdict::Clean;
    }
    match body.strip_suffix(" FOUND").map(str::trim) {
        Some(signature) if !signature.is_empty() => Verdict::Infected(signature.to_owned()),
        _ if body.is_empty() => Verdict::Error("clamd sent an empty reply".to_owned()),
        _ => Verdict::Error(body.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_outcomes_are_told_apart() {
        assert_eq!(parse_reply(b"stream: OK\0"), Verdict::Clean);
        assert_eq!(
            parse_reply(b"stream: Eicar-Test-Signature.UNOFFICIAL FOUND\0"),
            Verdict::Infected("Eicar-Test-Signature.UNOFFICIAL".to_owned())
        );
        assert_eq!(
            parse_reply(b"INSTREAM size limit exceeded. ERROR\0"),
            Verdict::Error("INSTREAM size limit exceeded. ERROR".to_owned())
        );
    }

    #[test]
    fn anything_unexpected_is_an_error_never_clean() {
        for reply in [
            &b""[..],
            b"\0",
            b"stream: FOUND\0",
            b"OKAY",
            b"stream: OK but",
            b"\xff\xfe",
        ] {
            assert!(
                matches!(parse_reply(reply), Verdict::Error(_)),
                "{reply:?} must not pass"
            );
        }
    }
}
