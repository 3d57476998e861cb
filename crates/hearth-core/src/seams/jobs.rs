//! The job queue seam: durable background work with priorities, retries, leases and dead letters.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use uuid::Uuid;

use super::SeamError;
use crate::{TenantId, UserId};

/// Queues in priority order: a worker takes `High` work before `Medium` before `Low`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Queue {
    /// Embedding, indexing, scanning.
    High,
    /// Connector sync.
    Medium,
    /// Quota recompute, retention sweeps, garbage collection.
    Low,
}

/// Where a job is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Waiting to run (possibly scheduled for later, or backing off before a retry).
    Queued,
    /// Leased by a worker until its lease expires.
    Running,
    Succeeded,
    /// Out of attempts; an admin may retry or discard it.
    Dead,
    Cancelled,
}

/// A job to enqueue. Handlers must be idempotent: a job may run more than once.
#[derive(Clone, Debug)]
pub struct NewJob {
    /// The handler's name, e.g. `ingest_file`.
    pub kind: String,
    pub queue: Queue,
    pub payload: Value,
    pub tenant_id: TenantId,
    /// The user who receives progress events.
    pub owner: Option<UserId>,
    /// Unix seconds before which the job must not start.
    pub not_before: Option<i64>,
    pub max_attempts: u32,
    /// A second job with the same key is not enqueued while the first is queued or running.
    pub dedupe_key: Option<String>,
}

/// A job held by a worker until `lease_until`; if the worker dies, the job runs again afterwards.
#[derive(Clone, Debug)]
pub struct LeasedJob {
    pub id: Uuid,
    pub kind: String,
    pub queue: Queue,
    pub payload: Value,
    pub tenant_id: TenantId,
    pub owner: Option<UserId>,
    /// 1 on the first run.
    pub attempt: u32,
    pub lease_until: i64,
}

/// How a run ended.
#[derive(Clone, Debug)]
pub enum JobOutcome {
    Succeeded,
    /// Try again after a backoff, unless attempts are used up (then the job is dead).
    Retry {
        reason: String,
    },
    /// Do not try again.
    Failed {
        reason: String,
    },
}

/// The number of jobs in a queue and state, for `/metrics` and autoscaling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueDepth {
    pub queue: Queue,
    pub state: JobState,
    pub count: u64,
}

/// A durable queue shared by every process that runs workers.
#[async_trait]
pub trait JobQueue: Send + Sync + fmt::Debug + 'static {
    /// The backend's name (`sqlite`, `postgres`, `redis`).
    fn backend(&self) -> &'static str;
    /// Stores a job; returns its id (or the id of the queued duplicate, with `dedupe_key`).
    async fn enqueue(&self, job: NewJob) -> Result<Uuid, SeamError>;
    /// Leases the most urgent runnable job from `queues`, if any.
    async fn lease(
        &self,
        queues: &[Queue],
        worker: &str,
        lease: Duration,
    ) -> Result<Option<LeasedJob>, SeamError>;
    /// Extends a lease held by `worker`; fails when the lease was lost.
    async fn heartbeat(&self, job: Uuid, worker: &str, lease: Duration) -> Result<(), SeamError>;
    /// Records the outcome of a run by the lease holder.
    async fn finish(&self, job: Uuid, worker: &str, outcome: JobOutcome) -> Result<(), SeamError>;
    /// Cancels a queued or running job; returns whether it was still cancellable.
    async fn cancel(&self, job: Uuid) -> Result<bool, SeamError>;
    /// Jobs per queue and state.
    async fn depths(&self) -> Result<Vec<QueueDepth>, SeamError>;
    /// Whether the queue's store answers, for `/ready`.
    async fn check(&self) -> Result<(), SeamError>;
}
