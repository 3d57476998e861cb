//! Choosing the queue backend from the settings.

use std::sync::Arc;

use hearth_config::{JobQueueBackend, Settings};
use hearth_core::seams::{JobQueue, SeamError};
use hearth_db::Store;
use hearth_redis::{RedisJobQueue, RedisOptions, RedisTarget};

/// Why the queue could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("JOB_QUEUE=redis needs REDIS_URL")]
    NoRedisUrl,
    #[error("cannot open the job queue: {0}")]
    Backend(#[from] SeamError),
}

/// Connections to Redis per process; commands are pipelined over each.
const REDIS_POOL_SIZE: usize = 4;

/// The job queue `JOB_QUEUE` names: the store's database, or Redis.
pub async fn open_queue(
    settings: &Settings,
    store: &Store,
) -> Result<Arc<dyn JobQueue>, OpenError> {
    match settings.jobs.job_queue {
        JobQueueBackend::Database => Ok(Arc::new(store.job_queue())),
        JobQueueBackend::Redis => {
            let target =
                RedisTarget::from_settings(&settings.redis).ok_or(OpenError::NoRedisUrl)?;
            let queue = RedisJobQueue::connect(RedisOptions {
                target,
                pool_size: REDIS_POOL_SIZE,
                // The hash tag keeps every key of the queue in one Redis Cluster slot.
                namespace: format!("{{{}:jobs}}:", settings.redis.redis_key_prefix),
            })
            .await?;
            Ok(Arc::new(queue))
        }
    }
}
