//! The job queue seam: durable background work with priorities, retries, leases and dead letters.
//!
//! Delivery is at least once: a job whose worker dies mid-run runs again once its lease expires, so
//! handlers must be idempotent. Times are Unix milliseconds from the caller's clock (processes that
//! share a queue are expected to keep their clocks in sync, as for token expiry).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use uuid::Uuid;

use super::SeamError;
use crate::{TenantId, UserId};

/// Queues in priority order: a worker slot that serves several takes `High` work before `Medium`
/// before `Low`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Queue {
    /// Embedding, indexing, scanning.
    High,
    /// Connector sync.
    Medium,
    /// Quota recompute, retention sweeps, garbage collection.
    Low,
}

impl Queue {
    /// Every queue, most urgent first.
    pub const ALL: [Queue; 3] = [Queue::High, Queue::Medium, Queue::Low];

    /// The name used in the API, metrics and storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Queue::High => "high",
            Queue::Medium => "medium",
            Queue::Low => "low",
        }
    }

    /// 0 for the most urgent queue; stored so that sorting by it sorts by urgency.
    pub fn rank(self) -> i16 {
        match self {
            Queue::High => 0,
            Queue::Medium => 1,
            Queue::Low => 2,
        }
    }

    /// The queue of a stored rank.
    pub fn from_rank(rank: i64) -> Option<Queue> {
        Queue::ALL.into_iter().find(|q| i64::from(q.rank()) == rank)
    }

    /// This queue and every more urgent one, most urgent first: what a slot of this queue serves.
    pub fn and_more_urgent(self) -> Vec<Queue> {
        Queue::ALL.into_iter().filter(|q| *q <= self).collect()
    }
}

impl fmt::Display for Queue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Queue {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Queue::ALL
            .into_iter()
            .find(|q| q.as_str() == name)
            .ok_or_else(|| format!("`{name}` is not a queue (high, medium, low)"))
    }
}

/// Where a job is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Waiting to run (possibly scheduled for later, or backing off before a retry).
    Queued,
    /// Leased by a worker until its lease expires.
    Running,
    Succeeded,
    /// Failed for good (out of attempts, or a failure that retrying cannot fix); an admin may retry
    /// or discard it.
    Dead,
    Cancelled,
}

impl JobState {
    /// Every state, in the order of a job's life.
    pub const ALL: [JobState; 5] = [
        JobState::Queued,
        JobState::Running,
        JobState::Succeeded,
        JobState::Dead,
        JobState::Cancelled,
    ];

    /// The name used in the API, metrics and storage.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Dead => "dead",
            JobState::Cancelled => "cancelled",
        }
    }

    /// Whether the job will not run again unless an admin retries it.
    pub fn is_finished(self) -> bool {
        !matches!(self, JobState::Queued | JobState::Running)
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobState {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        JobState::ALL
            .into_iter()
            .find(|s| s.as_str() == name)
            .ok_or_else(|| {
                format!("`{name}` is not a job state (queued, running, succeeded, dead, cancelled)")
            })
    }
}

/// A job to enqueue.
#[derive(Clone, Debug)]
pub struct NewJob {
    /// The handler's name, e.g. `files.ingest`.
    pub kind: String,
    pub queue: Queue,
    pub payload: Value,
    pub tenant_id: TenantId,
    /// The user who receives the job's progress events.
    pub owner: Option<UserId>,
    /// Unix milliseconds before which the job must not start; now when `None`.
    pub run_at_ms: Option<i64>,
    /// Runs (including the first) before the job is dead.
    pub max_attempts: u32,
    /// While a job with this key exists (in any state, until it is discarded or pruned), enqueueing
    /// another with the same key returns the existing job's id instead. Periodic jobs use it to run
    /// once per period across every process.
    pub dedupe_key: Option<String>,
}

/// A job held by a worker until `lease_until_ms`; if the worker dies, the job runs again afterwards.
#[derive(Clone, Debug)]
pub struct LeasedJob {
    pub id: Uuid,
    pub kind: String,
    pub queue: Queue,
    /// The payload as stored: handlers parse it, so a corrupted payload fails only its own job.
    pub payload: String,
    pub tenant_id: TenantId,
    pub owner: Option<UserId>,
    /// 1 on the first run.
    pub attempt: u32,
    pub max_attempts: u32,
    /// When the job was due, for the enqueue-to-start latency.
    pub run_at_ms: i64,
    pub lease_until_ms: i64,
}

/// A stored job, as administrators see it.
#[derive(Clone, Debug, PartialEq)]
pub struct JobRecord {
    pub id: Uuid,
    pub kind: String,
    pub queue: Queue,
    pub state: JobState,
    pub payload: String,
    pub tenant_id: TenantId,
    pub owner: Option<UserId>,
    /// Runs started so far.
    pub attempt: u32,
    pub max_attempts: u32,
    pub run_at_ms: i64,
    pub lease_until_ms: Option<i64>,
    /// The lease holder while running.
    pub worker: Option<String>,
    pub dedupe_key: Option<String>,
    /// Why the last run failed (or why the job is dead).
    pub last_error: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq)]
pub enum JobOutcome {
    Succeeded,
    /// Run again after `delay`, unless attempts are used up (then the job is dead).
    Retry {
        reason: String,
        delay: Duration,
    },
    /// Do not run again: the job is dead, with the reason, until an admin retries it.
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

/// Which jobs to list, newest first.
#[derive(Clone, Copy, Debug)]
pub struct JobFilter {
    pub state: Option<JobState>,
    pub queue: Option<Queue>,
    pub limit: u64,
    pub offset: u64,
}

/// What an administrator's action on one job did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminOutcome {
    Done,
    /// The job does not exist.
    NotFound,
    /// The job is in a state the action does not apply to (its state is given).
    WrongState(JobState),
}

/// A durable queue shared by every process that runs workers.
#[async_trait]
pub trait JobQueue: Send + Sync + fmt::Debug + 'static {
    /// The backend's name (`sqlite`, `postgres`, `mysql`, `redis`).
    fn backend(&self) -> &'static str;
    /// Stores a job; returns its id (or the id of the existing job with the same `dedupe_key`).
    async fn enqueue(&self, job: NewJob, now_ms: i64) -> Result<Uuid, SeamError>;
    /// Stores many jobs at once; returns their ids in order.
    async fn enqueue_many(&self, jobs: Vec<NewJob>, now_ms: i64) -> Result<Vec<Uuid>, SeamError> {
        let mut ids = Vec::with_capacity(jobs.len());
        for job in jobs {
            ids.push(self.enqueue(job, now_ms).await?);
        }
        Ok(ids)
    }
    /// Leases the most urgent due job of `queues` (given most urgent first), if any: a queued job
    /// whose time has come, or a running one whose lease expired (its worker is presumed dead; a job
    /// out of attempts is then dead instead).
    async fn lease(
        &self,
        queues: &[Queue],
        worker: &str,
        lease: Duration,
        now_ms: i64,
    ) -> Result<Option<LeasedJob>, SeamError>;
    /// Extends a lease held by `worker`; `false` when the lease was lost or the job cancelled, and
    /// the worker should stop the run.
    async fn heartbeat(
        &self,
        job: Uuid,
        worker: &str,
        lease: Duration,
        now_ms: i64,
    ) -> Result<bool, SeamError>;
    /// Records the outcome of a run by the lease holder; `false` (and nothing recorded) when `worker`
    /// no longer holds the lease.
    async fn finish(
        &self,
        job: Uuid,
        worker: &str,
        outcome: JobOutcome,
        now_ms: i64,
    ) -> Result<bool, SeamError>;
    /// Gives a leased job back unrun (the attempt does not count), for a worker that stops.
    async fn release(&self, job: Uuid, worker: &str, now_ms: i64) -> Result<bool, SeamError>;
    /// Cancels a queued or running job (a running one stops at its next heartbeat).
    async fn cancel(&self, job: Uuid, now_ms: i64) -> Result<AdminOutcome, SeamError>;
    /// Queues a dead or cancelled job again with fresh attempts.
    async fn retry(&self, job: Uuid, now_ms: i64) -> Result<AdminOutcome, SeamError>;
    /// Deletes a finished job (succeeded, dead or cancelled).
    async fn discard(&self, job: Uuid) -> Result<AdminOutcome, SeamError>;
    /// Deletes succeeded and cancelled jobs last changed before `before_ms`; returns how many.
    async fn prune(&self, before_ms: i64) -> Result<u64, SeamError>;
    /// One job.
    async fn get(&self, job: Uuid) -> Result<Option<JobRecord>, SeamError>;
    /// Jobs matching `filter`, most recently changed first.
    async fn list(&self, filter: JobFilter) -> Result<Vec<JobRecord>, SeamError>;
    /// Jobs per queue and state (every pair, zeros included).
    async fn depths(&self) -> Result<Vec<QueueDepth>, SeamError>;
    /// Whether the queue's store answers, for `/ready`.
    async fn check(&self) -> Result<(), SeamError>;
}
