//! Jobs every Hearth process knows: the canary (proves end to end that workers run jobs), the sweep
//! of old finished jobs, and the schedules that run periodic jobs once per period across processes.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use hearth_core::TenantId;
use hearth_core::seams::{JobQueue, NewJob, Queue};
use hearth_core::time::{unix_now, unix_now_ms};
use hearth_db::Store;
use serde::{Deserialize, Serialize};

use crate::job::{Handler, Job, JobContext, JobError, Registry};

/// A diagnostic job: records its run in the database, so an operator (or a test) can check that
/// workers run jobs, each once. `hold_ms` makes its first `hold_attempts` runs take that long, to
/// watch leases and shutdowns at work.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Canary {
    #[serde(default)]
    pub hold_ms: u64,
    #[serde(default)]
    pub hold_attempts: u32,
}

impl Job for Canary {
    const KIND: &'static str = "hearth.canary";
    const QUEUE: Queue = Queue::High;
    const MAX_ATTEMPTS: u32 = 3;
}

struct CanaryHandler {
    store: Store,
}

#[async_trait]
impl Handler<Canary> for CanaryHandler {
    async fn run(&self, job: Canary, cx: JobContext) -> Result<(), JobError> {
        cx.progress(0, 2, "started").await;
        if cx.attempt <= job.hold_attempts && job.hold_ms > 0 {
            tokio::time::sleep(Duration::from_millis(job.hold_ms)).await;
        }
        cx.progress(1, 2, "recording").await;
        self.store
            .record_canary_run(cx.id, &cx.worker, unix_now())
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
        cx.progress(2, 2, "recorded").await;
        Ok(())
    }
}

/// Deletes succeeded and cancelled jobs older than `JOB_RETENTION`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PruneJobs {}

impl Job for PruneJobs {
    const KIND: &'static str = "hearth.jobs.prune";
    const QUEUE: Queue = Queue::Low;
}

struct PruneHandler {
    queue: Arc<dyn JobQueue>,
    retention: Duration,
}

#[async_trait]
impl Handler<PruneJobs> for PruneHandler {
    async fn run(&self, _job: PruneJobs, _cx: JobContext) -> Result<(), JobError> {
        let retention = i64::try_from(self.retention.as_millis()).unwrap_or(i64::MAX);
        let deleted = self
            .queue
            .prune(unix_now_ms().saturating_sub(retention))
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
        if deleted > 0 {
            tracing::info!(deleted, "deleted old finished jobs");
        }
        Ok(())
    }
}

/// The handlers of the built-in jobs.
pub fn builtin_registry(store: Store, queue: Arc<dyn JobQueue>, retention: Duration) -> Registry {
    let mut registry = Registry::new();
    registry
        .register::<Canary, _>(CanaryHandler { store })
        .register::<PruneJobs, _>(PruneHandler { queue, retention });
    registry
}

/// A job that runs once per period, whichever processes schedule it.
#[derive(Clone, Debug)]
pub struct Schedule {
    pub kind: &'static str,
    pub queue: Queue,
    pub every: Duration,
    pub payload: serde_json::Value,
    pub max_attempts: u32,
}

impl Schedule {
    /// Runs `job` every `every`.
    pub fn of<J: Job>(job: &J, every: Duration) -> Self {
        Self {
            kind: J::KIND,
            queue: J::QUEUE,
            every,
            payload: serde_json::to_value(job).expect("job payloads serialise"),
            max_attempts: J::MAX_ATTEMPTS,
        }
    }

    /// The job of the period that contains `now_ms`: due at the period's start, and deduplicated on
    /// the period, so however many processes enqueue it, it is stored (and runs) once.
    pub fn job_at(&self, now_ms: i64) -> NewJob {
        let every = i64::try_from(self.every.as_millis())
            .unwrap_or(i64::MAX)
            .max(1);
        let period = now_ms.div_euclid(every);
        NewJob {
            kind: self.kind.to_owned(),
            queue: self.queue,
            payload: self.payload.clone(),
            tenant_id: TenantId::DEFAULT,
            owner: None,
            run_at_ms: Some(period * every),
            max_attempts: self.max_attempts,
            dedupe_key: Some(format!("schedule:{}:{period}", self.kind)),
        }
    }
}

/// The periodic jobs every deployment runs.
pub fn default_schedules() -> Vec<Schedule> {
    vec![Schedule::of(&PruneJobs {}, Duration::from_secs(3600))]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_names_one_job_per_period() {
        let schedule = Schedule::of(&PruneJobs {}, Duration::from_secs(60));
        let first = schedule.job_at(120_000);
        assert_eq!(first.run_at_ms, Some(120_000));
        assert_eq!(schedule.job_at(179_999).dedupe_key, first.dedupe_key);
        assert_ne!(schedule.job_at(180_000).dedupe_key, first.dedupe_key);
        assert_eq!(first.kind, "hearth.jobs.prune");
        assert_eq!(first.queue, Queue::Low);
    }
}
