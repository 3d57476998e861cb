//! Closing answers left `streaming` by a process that died mid-answer (its detached task went with
//! it): every five minutes, the job `hearth.chats.close_interrupted` marks as `error` ("interrupted")
//! each answer started more than [`STALE_AFTER`] ago whose partial copy has expired from the bus —
//! a live answer rewrites that copy as it grows. While the bus cannot be read nothing is closed.

use std::time::Duration;

use async_trait::async_trait;
use hearth_core::seams::{Coordinator, Queue};
use hearth_core::time::unix_now;
use hearth_db::Store;
use hearth_jobs::{Handler, Job, JobContext, JobError, Registry, Schedule};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use super::live;

/// How often the sweep runs.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(300);

/// How old an answer must be before its silence counts as death (longer than the partial copy's
/// time-to-live, so a live answer always has one).
pub const STALE_AFTER: Duration = Duration::from_secs(900);

/// Answers looked at per run.
const BATCH: u64 = 500;

/// The reason stored on a closed answer.
pub const INTERRUPTED: &str =
    "interrupted: the server answering stopped before the answer was complete";

/// Closes answers whose answering process is gone.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CloseInterrupted {}

impl Job for CloseInterrupted {
    const KIND: &'static str = "hearth.chats.close_interrupted";
    const QUEUE: Queue = Queue::Low;
    const MAX_ATTEMPTS: u32 = 3;
}

struct SweepHandler {
    store: Store,
    bus: Arc<dyn Coordinator>,
}

#[async_trait]
impl Handler<CloseInterrupted> for SweepHandler {
    async fn run(&self, _job: CloseInterrupted, _cx: JobContext) -> Result<(), JobError> {
        let before = unix_now() - STALE_AFTER.as_secs() as i64;
        let stale = self
            .store
            .streaming_messages_before(before, BATCH)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
        let mut closed = 0;
        for (chat, message) in stale {
            match live::partial_exists(self.bus.as_ref(), message).await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(error) => return Err(JobError::Retry(error.to_string())),
            }
            if self
                .store
                .interrupt_message(chat, message, INTERRUPTED)
                .await
                .map_err(|e| JobError::Retry(e.to_string()))?
            {
                closed += 1;
            }
        }
        if closed > 0 {
            tracing::info!(closed, "closed answers whose server stopped mid-answer");
        }
        Ok(())
    }
}

/// Registers the sweep.
pub fn register(registry: &mut Registry, store: Store, bus: Arc<dyn Coordinator>) {
    registry.register::<CloseInterrupted, _>(SweepHandler { store, bus });
}

/// The sweep's schedule.
pub fn schedules() -> Vec<Schedule> {
    vec![Schedule::of(&CloseInterrupted {}, SWEEP_INTERVAL)]
}
