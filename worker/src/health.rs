//! The worker's health endpoint for an orchestrator's probes, and the watchdog that ends a
//! process whose consumer cannot recover.
//!
//! - `GET /health/live`: 200 while the process serves; 503 once a consumer has failed for
//!   `worker.unhealthy_exit_secs` (the process is about to exit).
//! - `GET /health/ready`: 200 while every consumer reaches Redis and the ledger; 503 naming the
//!   failing queues and their last error otherwise.
//! - `GET /metrics`: the process's job counters and run-time histogram, in Prometheus text
//!   (see `comptoir_jobs::metrics`).

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use comptoir_jobs::RepeatedFailure;
use comptoir_jobs::metrics::prometheus;

const READ_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_REQUEST_HEAD: usize = 8192;

/// The consumers' failure trackers, by queue.
pub struct Health {
    pub consumers: Vec<(String, Arc<RepeatedFailure>)>,
    /// 0: never give up.
    pub give_up_after: Duration,
}

impl Health {
    /// The queues failing now, with how long and why.
    fn failing(&self) -> Vec<serde_json::Value> {
        self.consumers
            .iter()
            .filter_map(|(queue, health)| {
                let since = health.failing_for()?;
                Some(json!({
                    "queue": queue,
                    "failing_for_secs": since.as_secs(),
                    "error": health.last_error(),
                }))
            })
            .collect()
    }

    /// The queue that has failed for longer than allowed, if any.
    pub fn beyond_recovery(&self) -> Option<(&str, Duration)> {
        if self.give_up_after.is_zero() {
            return None;
        }
        self.consumers.iter().find_map(|(queue, health)| {
            let since = health.failing_for()?;
            (since >= self.give_up_after).then_some((queue.as_str(), since))
        })
    }

    fn answer(&self, path: &str) -> (u16, serde_json::Value) {
        match path {
            "/health/live" => match self.beyond_recovery() {
                None => (200, json!({ "status": "live" })),
                Some((queue, since)) => (
                    503,
                    json!({ "status": "stalled", "queue": queue, "failing_for_secs": since.as_secs() }),
                ),
            },
            "/health/ready" => {
                let failing = self.failing();
                if failing.is_empty() {
                    (200, json!({ "status": "ready" }))
                } else {
                    (503, json!({ "status": "unavailable", "failing": failing }))
                }
            }
            _ => (404, json!({ "status": "not_found" })),
        }
    }
}

/// Serves the probes until `stop`.
pub async fn serve(listener: TcpListener, health: Arc<Health>, stop: CancellationToken) {
    loop {
        let accepted = tokio::select! {
            () = stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _)) => {
                let health = health.clone();
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(READ_TIMEOUT, respond(stream, &health)).await;
                });
            }
            Err(err) => {
                tracing::warn!(error = %err, "health endpoint: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn respond(mut stream: TcpStream, health: &Health) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_REQUEST_HEAD {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(&chunk[..read]);
    }
    let request_line = String::from_utf8_lossy(&head);
    let mut parts = request_line.split_whitespace();
    let reply = match (parts.next(), parts.next()) {
        (Some("GET" | "HEAD"), Some("/metrics")) => Reply {
            status: 200,
            content_type: "text/plain; version=0.0.4",
            body: prometheus().render(),
        },
        (Some("GET" | "HEAD"), Some(path)) => Reply::json(health.answer(path)),
        _ => Reply::json((405, json!({ "status": "method_not_allowed" }))),
    };
    stream.write_all(reply.http().as_bytes()).await?;
    stream.shutdown().await
}

struct Reply {
    status: u16,
    content_type: &'static str,
    body: String,
}

impl Reply {
    fn json((status, body): (u16, serde_json::Value)) -> Self {
        Self {
            status,
            content_type: "application/json",
            body: body.to_string(),
        }
    }

    fn http(&self) -> String {
        let reason = match self.status {
            200 => "OK",
            404 => "Not Found",
            405 => "Method Not Allowed",
            _ => "Service Unavailable",
        };
        format!(
            "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{}",
            self.status,
            self.content_type,
            self.body.len(),
            self.body
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readiness_names_the_failing_queue_and_liveness_holds_until_the_limit() {
        let email = Arc::new(RepeatedFailure::new(
            "email consumer",
            Duration::from_secs(60),
        ));
        let health = Health {
            consumers: vec![("email".to_owned(), email.clone())],
            give_up_after: Duration::from_secs(3600),
        };
        assert_eq!(health.answer("/health/ready").0, 200);
        email.failed(&std::io::Error::other("connection refused"));
        let (status, body) = health.answer("/health/ready");
        assert_eq!(status, 503);
        assert_eq!(body["failing"][0]["queue"], "email");
        assert_eq!(body["failing"][0]["error"], "connection refused");
        assert_eq!(
            health.answer("/health/live").0,
            200,
            "not yet beyond recovery"
        );
        assert_eq!(health.answer("/nope").0, 404);
    }
}
