//! Knowledge's background jobs: a file's ingestion (high queue, one job per file so files run in
//! parallel and one failure never blocks the others) and re-indexing everything.

use async_trait::async_trait;
use hearth_core::seams::Queue;
use hearth_core::{FileId, UserId};
use hearth_jobs::{Handler, Job, JobContext, JobError, Registry};
use serde::{Deserialize, Serialize};

use crate::Knowledge;

/// Extract, chunk, embed and index one file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct IngestFile {
    pub file_id: FileId,
    /// The file's owner, who receives its progress.
    pub user_id: UserId,
}

impl Job for IngestFile {
    const KIND: &'static str = "hearth.knowledge.ingest";
    const QUEUE: Queue = Queue::High;
    const MAX_ATTEMPTS: u32 = 5;
}

/// Queue every ingested file again (after the embedding model changes).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ReindexAll {}

impl Job for ReindexAll {
    const KIND: &'static str = "hearth.knowledge.reindex";
    const QUEUE: Queue = Queue::Medium;
    const MAX_ATTEMPTS: u32 = 3;
}

struct IngestHandler {
    knowledge: Knowledge,
}

#[async_trait]
impl Handler<IngestFile> for IngestHandler {
    async fn run(&self, job: IngestFile, cx: JobContext) -> Result<(), JobError> {
        let last_attempt = cx.attempt >= IngestFile::MAX_ATTEMPTS;
        self.knowledge.ingest(&job, &cx, last_attempt).await
    }
}

struct ReindexHandler {
    knowledge: Knowledge,
}

#[async_trait]
impl Handler<ReindexAll> for ReindexHandler {
    async fn run(&self, _job: ReindexAll, cx: JobContext) -> Result<(), JobError> {
        let queued = self
            .knowledge
            .reindex_all()
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
        cx.progress(queued as u64, queued as u64, "files queued for re-indexing")
            .await;
        Ok(())
    }
}

/// Registers knowledge's jobs.
pub fn register(registry: &mut Registry, knowledge: Knowledge) {
    registry.register::<IngestFile, _>(IngestHandler {
        knowledge: knowledge.clone(),
    });
    registry.register::<ReindexAll, _>(ReindexHandler { knowledge });
}
