//! The Redis side: one list per queue holding a bounded window of job messages.
//!
//! Redis is transport, not record: a message is a job id and the moment it was handed over
//! ([`Message`]). The relay pushes at most the queue's window ([`RedisTransport::push`], one
//! atomic script), consumers pop many at once with a blocking `BLMPOP`, and nothing is left
//! behind once a message is popped: no task hashes, done sets or schedules to vacuum. Retries,
//! delays and leases live in the Postgres ledger.
//!
//! Connections are lazy so that processes start, and keep accepting work, while Redis is down.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use redis::aio::{ConnectionManager, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Script};
use tokio::sync::Mutex;
use uuid::Uuid;

use comptoir_domain::config::RedisSettings;

const REDIS_TIMEOUT: Duration = Duration::from_secs(2);

/// Pushes messages up to the window; returns how many it took (a prefix of them). Whatever the
/// backlog, one call handles at most the window, and RPUSH gets at most 500 values at a time,
/// far under Lua's unpack limit.
static PUSH_WITHIN_WINDOW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local room = tonumber(ARGV[1]) - redis.call('LLEN', KEYS[1])
local n = math.min(room, #ARGV - 1)
if n <= 0 then return 0 end
for first = 2, n + 1, 500 do
  redis.call('RPUSH', KEYS[1], unpack(ARGV, first, math.min(first + 499, n + 1)))
end
return n
",
    )
});

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("redis")]
    Redis(#[from] redis::RedisError),
    #[error("redis did not answer within {0:?}")]
    Timeout(Duration),
}

/// One job message: the ledger id and when the relay handed it to Redis (the ledger's
/// `relayed_at`), which tells the lost-message sweep what is still waiting in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message {
    pub id: Uuid,
    pub relayed_at: DateTime<Utc>,
}

impl Message {
    fn encode(&self) -> String {
        format!("{}@{}", self.id, self.relayed_at.timestamp_micros())
    }

    /// `None` for anything that is not a message of ours (it is dropped with a log line).
    pub fn decode(raw: &str) -> Option<Self> {
        let (id, micros) = raw.split_once('@')?;
        Some(Self {
            id: id.parse().ok()?,
            relayed_at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
        })
    }
}

#[derive(Clone)]
pub struct RedisTransport {
    client: redis::Client,
    connection: Arc<Mutex<Option<ConnectionManager>>>,
    namespace: Arc<str>,
}

pub(crate) async fn timed<T, E: Into<TransportError>>(
    future: impl Future<Output = Result<T, E>>,
) -> Result<T, TransportError> {
    tokio::time::timeout(REDIS_TIMEOUT, future)
        .await
        .map_err(|_| TransportError::Timeout(REDIS_TIMEOUT))?
        .map_err(Into::into)
}

impl RedisTransport {
    /// Checks the URL; connects on first use.
    pub fn new(settings: &RedisSettings) -> Result<Self, redis::RedisError> {
        Ok(Self {
            client: redis::Client::open(settings.url.expose())?,
            connection: Arc::new(Mutex::new(None)),
            namespace: settings.namespace.as_str().into(),
        })
    }

    /// The shared connection for short commands; the manager reconnects by itself once
    /// established.
    pub async fn connection(&self) -> Result<ConnectionManager, TransportError> {
        let mut slot = self.connection.lock().await;
        if let Some(connection) = slot.as_ref() {
            return Ok(connection.clone());
        }
        let connection = timed(ConnectionManager::new(self.client.clone())).await?;
        *slot = Some(connection.clone());
        Ok(connection)
    }

    /// `name` in this deployment's namespace, for other users of this Redis (rate limits).
    pub fn namespaced(&self, name: &str) -> String {
        format!("{}:{name}", self.namespace)
    }

    /// The Redis list of `queue` in this deployment's namespace.
    pub fn queue_key(&self, queue: &str) -> String {
        format!("{}:queue:{queue}", self.namespace)
    }

    /// Free room in each queue's window, in the order given.
    pub async fn free_room(
        &self,
        windows: &[(String, usize)],
    ) -> Result<Vec<usize>, TransportError> {
        let lengths = self.held(windows).await?;
        Ok(windows
            .iter()
            .zip(lengths)
            .map(|((_, window), length)| window.saturating_sub(length))
            .collect())
    }

    /// The messages each queue's list holds now, in the order given (one round trip).
    pub async fn held(&self, windows: &[(String, usize)]) -> Result<Vec<usize>, TransportError> {
        let mut connection = self.connection().await?;
        let mut pipe = redis::pipe();
        for (queue, _) in windows {
            pipe.llen(self.queue_key(queue));
        }
        timed(pipe.query_async(&mut connection)).await
    }

    /// Appends messages while the queue's window has room; returns how many were taken (the
    /// first ones). Atomic, so concurrent relays never overfill a window.
    pub async fn push(
        &self,
        queue: &str,
        window: usize,
        messages: &[Message],
    ) -> Result<usize, TransportError> {
        if messages.is_empty() {
            return Ok(0);
        }
        let mut connection = self.connection().await?;
        let mut invocation = PUSH_WITHIN_WINDOW.key(self.queue_key(queue));
        invocation.arg(window);
        for message in messages {
            invocation.arg(message.encode());
        }
        timed(invocation.invoke_async(&mut connection)).await
    }

    /// The message that has waited longest in `queue`'s list, if any.
    pub async fn oldest_waiting(&self, queue: &str) -> Result<Option<Message>, TransportError> {
        let mut connection = self.connection().await?;
        let head: Option<String> = timed(
            redis::cmd("LINDEX")
                .arg(self.queue_key(queue))
                .arg(0)
                .query_async(&mut connection),
        )
        .await?;
        Ok(head.as_deref().and_then(Message::decode))
    }

    /// A dedicated connection for one consumer's blocking pops (a blocking command would stall
    /// every other user of a shared connection).
    pub async fn consumer(&self, queue: &str, block: Duration) -> Result<Consumer, TransportError> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(REDIS_TIMEOUT))
            .set_response_timeout(Some(block + REDIS_TIMEOUT));
        let connection = timed(
            self.client
                .get_multiplexed_async_connection_with_config(&config),
        )
        .await?;
        Ok(Consumer {
            connection,
            key: self.queue_key(queue),
            block,
        })
    }

    pub async fn ping(&self) -> Result<(), TransportError> {
        let mut connection = self.connection().await?;
        timed(redis::cmd("PING").query_async::<()>(&mut connection)).await
    }

    /// Redis's `used_memory`, in bytes (benchmarks and tests).
    pub async fn used_memory(&self) -> Result<u64, TransportError> {
        let mut connection = self.connection().await?;
        let info: String = timed(
            redis::cmd("INFO")
                .arg("memory")
                .query_async(&mut connection),
        )
        .await?;
        Ok(info
            .lines()
            .find_map(|line| line.strip_prefix("used_memory:"))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(0))
    }
}

/// One consumer's end of a queue.
pub struct Consumer {
    connection: MultiplexedConnection,
    key: String,
    block: Duration,
}

impl Consumer {
    /// Pops up to `count` raw messages, oldest first, waiting up to the block time when the
    /// queue is empty (an empty answer then).
    pub async fn pop(&mut self, count: usize) -> Result<Vec<String>, TransportError> {
        let popped: Option<(String, Vec<String>)> = redis::cmd("BLMPOP")
            .arg(self.block.as_secs_f64())
            .arg(1)
            .arg(&self.key)
            .arg("LEFT")
            .arg("COUNT")
            .arg(count.max(1))
            .query_async(&mut self.connection)
            .await?;
        Ok(popped.map(|(_, messages)| messages).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_and_junk_is_refused() {
        let message = Message {
            id: Uuid::now_v7(),
            relayed_at: DateTime::from_timestamp_micros(1_764_000_000_123_456).expect("time"),
        };
        assert_eq!(Message::decode(&message.encode()), Some(message));
        for junk in [
            "",
            "x@1",
            "{\"id\":1}",
            "0195b3c4-0000-7000-8000-000000000000",
        ] {
            assert_eq!(Message::decode(junk), None, "{junk}");
        }
    }
}
