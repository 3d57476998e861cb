//! The drive's background job: garbage collection, scheduled every ten minutes on the low queue.

use std::time::Duration;

use async_trait::async_trait;
use hearth_core::seams::Queue;
use hearth_jobs::{Handler, Job, JobContext, JobError, Registry, Schedule};
use serde::{Deserialize, Serialize};

use crate::Drive;

/// How often storage is collected.
pub const COLLECTION_INTERVAL: Duration = Duration::from_secs(600);

/// Discards expired uploads and deletes unreferenced chunks and orphaned parts.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CollectStorage {}

impl Job for CollectStorage {
    const KIND: &'static str = "hearth.storage.collect";
    const QUEUE: Queue = Queue::Low;
    const MAX_ATTEMPTS: u32 = 3;
}

struct CollectHandler {
    drive: Drive,
}

#[async_trait]
impl Handler<CollectStorage> for CollectHandler {
    async fn run(&self, _job: CollectStorage, _cx: JobContext) -> Result<(), JobError> {
        self.drive
            .collect_garbage()
            .await
            .map(|_| ())
            .map_err(|e| JobError::Retry(e.to_string()))
    }
}

/// Registers the drive's jobs.
pub fn register(registry: &mut Registry, drive: Drive) {
    registry.register::<CollectStorage, _>(CollectHandler { drive });
}

/// The drive's periodic jobs.
pub fn schedules() -> Vec<Schedule> {
    vec![Schedule::of(&CollectStorage {}, COLLECTION_INTERVAL)]
}
