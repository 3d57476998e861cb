//! What a job is: a serialisable value with a kind and a queue, and the handler that runs it.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::future::BoxFuture;
use hearth_core::seams::{Coordinator, Queue};
use hearth_core::{TenantId, UserId};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::events::{JobEvent, user_channel};

/// A kind of background work. The value is the payload, stored as JSON.
pub trait Job: Serialize + DeserializeOwned + Send + 'static {
    /// The stored name of the kind, e.g. `files.ingest`. Never rename one that has shipped: queued
    /// jobs of the old name would find no handler.
    const KIND: &'static str;
    /// The queue it runs on.
    const QUEUE: Queue;
    /// Runs (the first included) before the job is dead.
    const MAX_ATTEMPTS: u32 = 5;
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth trying again later (a service was down, a time-out).
    #[error("{0}")]
    Retry(String),
    /// Trying again cannot help (bad payload, missing input); the job is dead at once.
    #[error("{0}")]
    Fatal(String),
}

/// Runs jobs of one kind. Must be idempotent: a job may run more than once.
#[async_trait]
pub trait Handler<J: Job>: Send + Sync + 'static {
    async fn run(&self, job: J, cx: JobContext) -> Result<(), JobError>;
}

/// What a running job knows about itself, and how it reports progress.
#[derive(Clone)]
pub struct JobContext {
    pub id: Uuid,
    pub kind: String,
    /// 1 on the first run.
    pub attempt: u32,
    pub tenant_id: TenantId,
    pub owner: Option<UserId>,
    /// The worker running it.
    pub worker: String,
    pub(crate) bus: Arc<dyn Coordinator>,
}

impl std::fmt::Debug for JobContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobContext")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("attempt", &self.attempt)
            .field("worker", &self.worker)
            .finish_non_exhaustive()
    }
}

impl JobContext {
    /// Tells the job's owner how far it got (`done` of `total`). Best effort: a lost event is logged.
    pub async fn progress(&self, done: u64, total: u64, message: &str) {
        self.publish(JobEvent::Progress {
            job_id: self.id,
            kind: self.kind.clone(),
            done,
            total,
            message: message.to_owned(),
        })
        .await;
    }

    pub(crate) async fn publish(&self, event: JobEvent) {
        let Some(owner) = self.owner else { return };
        let payload = Bytes::from(serde_json::to_vec(&event).expect("events serialise"));
        if let Err(error) = self.bus.publish_event(&user_channel(owner), payload).await {
            tracing::warn!(job = %self.id, %error, "could not publish a job event");
        }
    }
}

/// A handler with its payload type erased: parses the stored payload, then runs.
pub(crate) type ErasedHandler =
    Arc<dyn Fn(String, JobContext) -> BoxFuture<'static, Result<(), JobError>> + Send + Sync>;

/// The handlers a worker pool knows, by kind.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<&'static str, ErasedHandler>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.handlers.keys()).finish()
    }
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the handler of `J`; a second handler for the same kind replaces the first.
    pub fn register<J: Job, H: Handler<J>>(&mut self, handler: H) -> &mut Self {
        let handler = Arc::new(handler);
        let erased: ErasedHandler = Arc::new(move |payload: String, cx: JobContext| {
            let handler = handler.clone();
            Box::pin(async move {
                let job: J = serde_json::from_str(&payload).map_err(|e| {
                    JobError::Fatal(format!("the payload is not a valid `{}` job: {e}", J::KIND))
                })?;
                handler.run(job, cx).await
            })
        });
        self.handlers.insert(J::KIND, erased);
        self
    }

    pub(crate) fn get(&self, kind: &str) -> Option<ErasedHandler> {
        self.handlers.get(kind).cloned()
    }
}
