//! The Redis side: apalis-redis storages per queue, on one lazily (re)connecting connection.
//! Lazy so that processes start, and keep accepting work, while Redis is down.

use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::{TaskBuilder, TaskSink};
use apalis_redis::{Config, ConnectionManager, RedisStorage};
use tokio::sync::Mutex;
use uuid::Uuid;

use comptoir_domain::config::RedisSettings;

use crate::JobRef;

const REDIS_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("redis did not answer within {0:?}")]
    Timeout(Duration),
    #[error("push to redis failed: {0}")]
    Push(String),
}

#[derive(Clone)]
pub struct RedisTransport {
    client: redis::Client,
    connection: Arc<Mutex<Option<ConnectionManager>>>,
    namespace: Arc<str>,
}

async fn timed<T, E: Into<TransportError>>(
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

    /// The shared connection; the manager reconnects by itself once established.
    pub async fn connection(&self) -> Result<ConnectionManager, TransportError> {
        let mut slot = self.connection.lock().await;
        if let Some(connection) = slot.as_ref() {
            return Ok(connection.clone());
        }
        let connection = timed(ConnectionManager::new(self.client.clone())).await?;
        *slot = Some(connection.clone());
        Ok(connection)
    }

    /// The Redis name of `queue` in this deployment's namespace.
    pub fn queue_key(&self, queue: &str) -> String {
        format!("{}.{queue}", self.namespace)
    }

    /// An apalis-redis storage of `T` messages for `queue`, with `config` applied.
    pub async fn storage<T>(
        &self,
        queue: &str,
        config: Config,
    ) -> Result<RedisStorage<T>, TransportError> {
        let connection = self.connection().await?;
        Ok(RedisStorage::new(connection).with_config(config.queue(self.queue_key(queue))))
    }

    /// Pushes a job reference. apalis mints a fresh task id per push: a retried job is pushed
    /// again, and its previous task may still sit in Redis's done set.
    pub async fn push(&self, queue: &str, id: Uuid) -> Result<(), TransportError> {
        let mut storage = self.storage::<JobRef>(queue, Config::default()).await?;
        let task = TaskBuilder::new(JobRef { id }).build();
        timed(async {
            storage
                .push_task(task)
                .await
                .map_err(|err| TransportError::Push(err.to_string()))
        })
        .await
    }

    pub async fn ping(&self) -> Result<(), TransportError> {
        let mut connection = self.connection().await?;
        timed(redis::cmd("PING").query_async::<()>(&mut connection)).await
    }
}
