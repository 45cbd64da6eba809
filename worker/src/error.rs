//! How a job handler fails: the handler decides at the error site whether retrying can help.

use std::fmt;

#[derive(Debug)]
pub enum JobError {
    /// Bad input or a refusal that will not change: the job fails at once.
    Permanent(anyhow::Error),
    /// An outage (database, SMTP, HTTP 5xx, clamd): the job is retried with backoff.
    Transient(anyhow::Error),
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `{:#}` keeps the whole cause chain in the ledger's last_error.
        match self {
            JobError::Permanent(err) => write!(f, "permanent: {err:#}"),
            JobError::Transient(err) => write!(f, "transient: {err:#}"),
        }
    }
}

impl JobError {
    /// Why the run failed for good (a permanent failure, or any on the last attempt), for the
    /// pipeline to record on what it was making; `None` when the job will be retried.
    pub fn final_reason(&self, last_attempt: bool) -> Option<String> {
        match self {
            JobError::Permanent(cause) => Some(format!("{cause:#}")),
            JobError::Transient(cause) if last_attempt => Some(format!("{cause:#}")),
            JobError::Transient(_) => None,
        }
    }

    /// A file writer's failure: the disk (transient) or the content (permanent, e.g. a
    /// missing font).
    pub fn of_file_writer(err: anyhow::Error) -> Self {
        if err.chain().any(|cause| cause.is::<std::io::Error>()) {
            JobError::Transient(err)
        } else {
            JobError::Permanent(err)
        }
    }
}

pub type JobResult = Result<(), JobError>;

/// `result`, once `record` has written why on what the job was making when it failed for good
/// (a permanent failure, or any on the last attempt): a report, a document, an export.
pub async fn record_final_failure<Fut, E>(
    result: JobResult,
    last_attempt: bool,
    record: impl FnOnce(String) -> Fut,
) -> JobResult
where
    Fut: std::future::Future<Output = Result<(), E>>,
    E: Into<anyhow::Error>,
{
    if let Some(reason) = result
        .as_ref()
        .err()
        .and_then(|err| err.final_reason(last_attempt))
    {
        record(reason).await.transient()?;
    }
    result
}

/// `.permanent()` / `.transient()` on any fallible call inside a handler.
pub trait ResultExt<T> {
    fn permanent(self) -> Result<T, JobError>;
    fn transient(self) -> Result<T, JobError>;
}

impl<T, E: Into<anyhow::Error>> ResultExt<T> for Result<T, E> {
    fn permanent(self) -> Result<T, JobError> {
        self.map_err(|err| JobError::Permanent(err.into()))
    }
    fn transient(self) -> Result<T, JobError> {
        self.map_err(|err| JobError::Transient(err.into()))
    }
}
