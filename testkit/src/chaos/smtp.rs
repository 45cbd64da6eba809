//! An SMTP sink inside the test process, on a free port, that keeps every accepted message.
//!
//! Why not the machine's shared sink: it holds the mail of every test that ever ran, so exact
//! counts ("this Message-ID exactly once, nothing else") need a sink of our own; and one in the
//! test process is unaffected by the chaos it observes. Like a real server (and the shared
//! aiosmtpd sink) it accepts a message only at the end of DATA, after the terminating dot: a
//! client killed mid-message delivered nothing.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One accepted message: its envelope recipients and its Message-ID header.
#[derive(Debug, Clone)]
pub struct Received {
    pub recipients: Vec<String>,
    pub message_id: String,
}

pub struct SmtpSink {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    server: tokio::task::JoinHandle<()>,
}

impl SmtpSink {
    /// Starts serving on a free port until dropped.
    pub async fn start() -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        let server = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve(socket, store.clone()));
            }
        });
        Ok(Self {
            port,
            received,
            server,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every message accepted so far.
    pub fn messages(&self) -> Vec<Received> {
        self.received
            .lock()
            .map(|all| all.clone())
            .unwrap_or_default()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// One SMTP session: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT. Errors end the session
/// (the client went away), dropping any message not yet complete.
async fn serve(socket: TcpStream, store: Arc<Mutex<Vec<Received>>>) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    let mut envelope: Vec<String> = Vec::new();
    if write.write_all(b"220 chaos-sink ESMTP\r\n").await.is_err() {
        return;
    }
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") {
            b"250-chaos-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if command.starts_with("HELO") || command.starts_with("NOOP") {
            b"250 OK\r\n"
        } else if command.starts_with("MAIL FROM") || command.starts_with("RSET") {
            envelope.clear();
            b"250 OK\r\n"
        } else if command.starts_with("RCPT TO") {
            envelope.push(address_of(line.trim_end()));
            b"250 OK\r\n"
        } else if command == "DATA" {
            if write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await
                .is_err()
            {
                return;
            }
            let Some(body) = read_data(&mut lines).await else {
                return;
            };
            let message = Received {
                recipients: std::mem::take(&mut envelope),
                message_id: message_id_of(&body),
            };
            if let Ok(mut all) = store.lock() {
                all.push(message);
            }
            b"250 OK: queued\r\n"
        } else if command.starts_with("QUIT") {
            let _ = write.write_all(b"221 Bye\r\n").await;
            return;
        } else {
            b"502 Command not implemented\r\n"
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// Reads the message up to the line holding a single dot; `None` if the client left first.
async fn read_data<R: AsyncBufReadExt + Unpin>(lines: &mut R) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        match lines.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        if line == b".\r\n" || line == b".\n" {
            return Some(body);
        }
        // Dot-stuffing: a leading dot was doubled by the client.
        let start = usize::from(line.starts_with(b".."));
        body.extend_from_slice(&line[start..]);
    }
}

/// `RCPT TO:<a@b>` → `a@b`, lowercased.
fn address_of(command: &str) -> String {
    let after = command.split_once(':').map_or(command, |(_, rest)| rest);
    after
        .trim()
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// The Message-ID header's value, or an empty string when the message has none.
fn message_id_of(message: &[u8]) -> String {
    mailparse::parse_headers(message)
        .ok()
        .and_then(|(headers, _)| {
            headers
                .iter()
                .find(|h| h.get_key().eq_ignore_ascii_case("Message-ID"))
                .map(|h| h.get_value().trim().to_owned())
        })
        .unwrap_or_default()
}
