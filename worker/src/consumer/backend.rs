//! The apalis backend of a queue: a stream of claimed jobs (see [`super::fetch`]). The worker
//! polls it only when it has a free slot, so the stream never runs ahead of the concurrency.

use std::convert::Infallible;
use std::task::{Context, Poll};

use apalis_core::backend::finalize::Ephemeral;
use apalis_core::backend::{Backend, BackendConfig};
use apalis_core::layers::Identity;
use apalis_core::task::Task;
use apalis_core::task::builder::TaskBuilder;
use apalis_core::task::task_id::RandomId;
use apalis_core::worker::context::WorkerContext;
use futures::StreamExt;
use futures::stream::BoxStream;

use crate::claims::Claim;

pub struct QueueBackend {
    claims: BoxStream<'static, Claim>,
}

impl QueueBackend {
    pub fn new(claims: BoxStream<'static, Claim>) -> Self {
        Self { claims }
    }
}

impl Backend for QueueBackend {
    type Task = Task<Claim>;
    /// Failures are handled inside the stream (retried with backoff and reported to the
    /// health endpoint), never handed to apalis, whose restart of a failing worker has no pause.
    type Error = Infallible;

    fn poll_ready(
        &mut self,
        _: &mut Context<'_>,
        _: &WorkerContext,
    ) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
        _: &WorkerContext,
    ) -> Poll<Option<Result<Self::Task, Infallible>>> {
        self.claims
            .poll_next_unpin(cx)
            .map(|claim| claim.map(|claim| Ok(TaskBuilder::new(claim).build())))
    }

    fn poll_close(
        &mut self,
        _: &mut Context<'_>,
        _: &WorkerContext,
    ) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }
}

impl BackendConfig for QueueBackend {
    type Args = Claim;
    type Id = RandomId;
    type Kind = Ephemeral;
    type Config = ();
    type Layer = Identity;

    fn config(&self) -> &() {
        &()
    }

    fn middleware(&mut self, _: &mut WorkerContext) -> Identity {
        Identity::new()
    }
}
