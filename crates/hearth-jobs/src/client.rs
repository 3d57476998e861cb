//! Enqueueing: typed jobs in, ids out; wakes this process's idle workers at once.

use std::sync::Arc;

use hearth_core::seams::{JobQueue, NewJob, SeamError};
use hearth_core::time::unix_now_ms;
use hearth_core::{TenantId, UserId};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::Job;

/// The handle every part of Hearth uses to queue work; cheap to clone.
#[derive(Clone, Debug)]
pub struct Jobs {
    queue: Arc<dyn JobQueue>,
    /// Idle workers of this process wait on it (and poll for other processes' jobs).
    wake: Arc<Notify>,
}

impl Jobs {
    /// A handle on `queue`.
    pub fn new(queue: Arc<dyn JobQueue>) -> Self {
        Self {
            queue,
            wake: Arc::new(Notify::new()),
        }
    }

    /// The queue, for administration and metrics.
    pub fn queue(&self) -> &Arc<dyn JobQueue> {
        &self.queue
    }

    pub(crate) fn wake(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// The stored form of a typed job.
    pub fn new_job<J: Job>(job: &J, tenant_id: TenantId, owner: Option<UserId>) -> NewJob {
        NewJob {
            kind: J::KIND.to_owned(),
            queue: J::QUEUE,
            payload: serde_json::to_value(job).expect("job payloads serialise"),
            tenant_id,
            owner,
            run_at_ms: None,
            max_attempts: J::MAX_ATTEMPTS,
            dedupe_key: None,
        }
    }

    /// Queues a typed job owned by `owner` (who receives its events).
    pub async fn enqueue<J: Job>(
        &self,
        job: &J,
        tenant_id: TenantId,
        owner: Option<UserId>,
    ) -> Result<Uuid, SeamError> {
        self.enqueue_new(Self::new_job(job, tenant_id, owner)).await
    }

    /// Queues a job in its stored form (scheduled, deduplicated…).
    pub async fn enqueue_new(&self, job: NewJob) -> Result<Uuid, SeamError> {
        let id = self.queue.enqueue(job, unix_now_ms()).await?;
        self.wake.notify_one();
        Ok(id)
    }

    /// Queues many jobs in one go.
    pub async fn enqueue_many(&self, jobs: Vec<NewJob>) -> Result<Vec<Uuid>, SeamError> {
        let ids = self.queue.enqueue_many(jobs, unix_now_ms()).await?;
        self.wake.notify_waiters();
        self.wake.notify_one();
        Ok(ids)
    }
}
