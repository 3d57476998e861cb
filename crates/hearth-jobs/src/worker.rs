//! The worker pool: slots that lease jobs, run their handlers, renew leases while they run, and record
//! how each run ended; a scheduler for periodic jobs; and a graceful stop.
//!
//! Slots are per queue (`WORKER_CONCURRENCY_*`). A slot serves its own queue and every more urgent
//! one, most urgent first: `high` work can use every slot, and slow `low` work can never occupy the
//! slots that `high` work needs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hearth_config::Settings;
use hearth_core::seams::{Coordinator, JobOutcome, LeasedJob, Queue};
use hearth_core::time::unix_now_ms;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::builtin::Schedule;
use crate::events::JobEvent;
use crate::job::{JobContext, JobError, Registry};
use crate::{JobMetrics, Jobs};

/// How often the scheduler enqueues the current period's periodic jobs (deduplicated, so every
/// process may do it).
const SCHEDULER_TICK: Duration = Duration::from_secs(30);

/// Exponential backoff between attempts: `base × 2^(attempt−1)`, at most `max`, plus up to 20 %
/// spread per job so that jobs failing together do not retry together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Backoff {
    /// The delay after failed attempt `attempt` (1 for the first) of job `id`.
    pub fn delay(&self, attempt: u32, id: Uuid) -> Duration {
        let doublings = attempt.saturating_sub(1).min(30);
        let delay = self.base.saturating_mul(1 << doublings).min(self.max);
        let spread = (id.as_u128() % 1000) as f64 / 1000.0 * 0.2;
        delay.mul_f64(1.0 + spread).min(self.max)
    }
}

/// How a pool runs.
#[derive(Clone, Debug)]
pub struct WorkerOptions {
    /// Slots per queue.
    pub concurrency: Vec<(Queue, u32)>,
    pub lease: Duration,
    pub poll_interval: Duration,
    pub backoff: Backoff,
    /// How long a stopping pool lets running jobs finish before it releases their leases.
    pub shutdown_grace: Duration,
}

impl WorkerOptions {
    /// The options the settings give.
    pub fn from_settings(settings: &Settings) -> Self {
        let jobs = &settings.jobs;
        Self {
            concurrency: vec![
                (Queue::High, jobs.worker_concurrency_high),
                (Queue::Medium, jobs.worker_concurrency_medium),
                (Queue::Low, jobs.worker_concurrency_low),
            ],
            lease: jobs.job_lease_timeout.0,
            poll_interval: jobs.job_poll_interval.0,
            backoff: Backoff {
                base: jobs.job_retry_base_delay.0,
                max: jobs.job_retry_max_delay.0,
            },
            shutdown_grace: Duration::from_secs(settings.core.hearth_shutdown_timeout),
        }
    }
}

/// Everything a slot needs, shared.
struct Shared {
    jobs: Jobs,
    wake: Arc<Notify>,
    registry: Registry,
    bus: Arc<dyn Coordinator>,
    metrics: Arc<JobMetrics>,
    options: WorkerOptions,
}

/// A pool of workers, ready to start.
pub struct WorkerPool {
    shared: Shared,
    schedules: Vec<Schedule>,
    /// Names this process's slots, so an admin can tell which process holds a job.
    process_name: String,
}

impl std::fmt::Debug for WorkerPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerPool")
            .field("process", &self.process_name)
            .field("options", &self.shared.options)
            .finish_non_exhaustive()
    }
}

/// A running pool; [`WorkerStop::shutdown`] stops it.
#[derive(Debug)]
pub struct WorkerStop {
    stopping: watch::Sender<bool>,
    abort: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    grace: Duration,
}

impl WorkerPool {
    /// A pool running `registry`'s handlers on the queue behind `jobs`.
    pub fn new(
        jobs: Jobs,
        registry: Registry,
        bus: Arc<dyn Coordinator>,
        metrics: Arc<JobMetrics>,
        options: WorkerOptions,
    ) -> Self {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .or_else(|_| std::fs::read_to_string("/etc/hostname"))
            .ok()
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "host".into());
        // The pid alone repeats across containers; a random part keeps names unique.
        let random = Uuid::now_v7().simple().to_string();
        let process_name = format!(
            "{host}:{}:{}",
            std::process::id(),
            &random[random.len() - 6..]
        );
        Self {
            shared: Shared {
                wake: jobs.wake(),
                jobs,
                registry,
                bus,
                metrics,
                options,
            },
            schedules: Vec::new(),
            process_name,
        }
    }

    /// Periodic jobs this pool enqueues (once per period across every process).
    pub fn with_schedules(mut self, schedules: Vec<Schedule>) -> Self {
        self.schedules = schedules;
        self
    }

    /// Starts the slots and the scheduler.
    pub fn start(self) -> WorkerStop {
        let (stopping, stopping_rx) = watch::channel(false);
        let (abort, abort_rx) = watch::channel(false);
        let shared = Arc::new(self.shared);
        let mut tasks = Vec::new();
        for (queue, slots) in shared.options.concurrency.clone() {
            for index in 0..slots {
                let name = format!("{}/{queue}-{index}", self.process_name);
                tasks.push(tokio::spawn(run_slot(
                    shared.clone(),
                    queue.and_more_urgent(),
                    name,
                    stopping_rx.clone(),
                    abort_rx.clone(),
                )));
            }
        }
        if !self.schedules.is_empty() {
            tasks.push(tokio::spawn(run_scheduler(
                shared.jobs.clone(),
                self.schedules,
                stopping_rx,
            )));
        }
        tracing::info!(
            slots = tasks.len(),
            queue = shared.jobs.queue().backend(),
            "job workers started"
        );
        WorkerStop {
            stopping,
            abort,
            tasks,
            grace: shared.options.shutdown_grace,
        }
    }
}

impl WorkerStop {
    /// Stops leasing, lets running jobs finish for the grace period, then stops the rest and releases
    /// their leases so that another worker runs them at once.
    pub async fn shutdown(self) {
        let _ = self.stopping.send(true);
        let mut all = std::pin::pin!(futures::future::join_all(self.tasks));
        if tokio::time::timeout(self.grace, &mut all).await.is_err() {
            tracing::warn!(
                seconds = self.grace.as_secs(),
                "jobs still running after the grace period; releasing their leases"
            );
            let _ = self.abort.send(true);
            all.await;
        }
    }
}

async fn run_slot(
    shared: Arc<Shared>,
    queues: Vec<Queue>,
    name: String,
    mut stopping: watch::Receiver<bool>,
    abort: watch::Receiver<bool>,
) {
    let options = &shared.options;
    let mut failures: u32 = 0;
    loop {
        if *stopping.borrow() {
            return;
        }
        let pause = match shared
            .jobs
            .queue()
            .lease(&queues, &name, options.lease, unix_now_ms())
            .await
        {
            Ok(Some(job)) => {
                failures = 0;
                shared.run(job, &name, abort.clone()).await;
                continue;
            }
            Ok(None) => options.poll_interval,
            Err(error) => {
                failures = failures.saturating_add(1);
                tracing::warn!(worker = %name, %error, "cannot lease jobs");
                options.poll_interval.saturating_mul(1 << failures.min(5))
            }
        };
        tokio::select! {
            () = shared.wake.notified() => {}
            () = tokio::time::sleep(pause) => {}
            changed = stopping.changed() => if changed.is_err() { return },
        }
    }
}

async fn run_scheduler(jobs: Jobs, schedules: Vec<Schedule>, mut stopping: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(SCHEDULER_TICK);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            changed = stopping.changed() => if changed.is_err() || *stopping.borrow() { return },
        }
        for schedule in &schedules {
            if let Err(error) = jobs.enqueue_new(schedule.job_at(unix_now_ms())).await {
                tracing::warn!(kind = schedule.kind, %error, "cannot enqueue a periodic job");
            }
        }
    }
}

/// The text of a panic's payload.
fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "unknown panic".into())
}

impl Shared {
    /// Runs one leased job to its end: renews the lease while the handler runs, stops the handler
    /// when the job is cancelled or the pool aborts, and records the outcome.
    async fn run(&self, job: LeasedJob, worker: &str, mut abort: watch::Receiver<bool>) {
        let queue = self.jobs.queue();
        let queue_name = job.queue.as_str();
        let started = Instant::now();
        self.metrics
            .started(queue_name, (unix_now_ms() - job.run_at_ms) as f64 / 1000.0);
        let cx = JobContext {
            id: job.id,
            kind: job.kind.clone(),
            attempt: job.attempt,
            tenant_id: job.tenant_id,
            owner: job.owner,
            worker: worker.to_owned(),
            bus: self.bus.clone(),
        };
        let Some(handler) = self.registry.get(&job.kind) else {
            let reason = format!(
                "no handler for job kind `{}` in this version of Hearth",
                job.kind
            );
            self.finish(&job, &cx, JobOutcome::Failed { reason }, "failed", started)
                .await;
            return;
        };
        let mut task = tokio::spawn(handler(job.payload.clone(), cx.clone()));
        let mut beat = tokio::time::interval(self.options.lease / 3);
        beat.tick().await;
        let result = loop {
            tokio::select! {
                joined = &mut task => break joined,
                _ = beat.tick() => {
                    match queue.heartbeat(job.id, worker, self.options.lease, unix_now_ms()).await {
                        Ok(true) => {}
                        Ok(false) => {
                            task.abort();
                            tracing::info!(job = %job.id, kind = %job.kind, "job cancelled or its lease lost; stopped it");
                            self.metrics.finished(queue_name, &job.kind, "cancelled", started.elapsed().as_secs_f64());
                            return;
                        }
                        // Keep going: if the lease really lapses, another worker takes the job
                        // and this one's outcome is refused.
                        Err(error) => tracing::warn!(job = %job.id, %error, "cannot renew a job's lease"),
                    }
                }
                changed = abort.changed() => if changed.is_err() || *abort.borrow() {
                    task.abort();
                    match queue.release(job.id, worker, unix_now_ms()).await {
                        Ok(_) => tracing::info!(job = %job.id, kind = %job.kind, "stopping: released the job for another worker"),
                        Err(error) => tracing::warn!(job = %job.id, %error, "stopping: cannot release the job; it runs again when its lease expires"),
                    }
                    self.metrics.finished(queue_name, &job.kind, "released", started.elapsed().as_secs_f64());
                    return;
                },
            }
        };
        let (outcome, label) = match result {
            Ok(Ok(())) => (JobOutcome::Succeeded, "succeeded"),
            Ok(Err(JobError::Retry(reason))) => {
                let label = if job.attempt >= job.max_attempts {
                    "failed"
                } else {
                    "retried"
                };
                let delay = self.options.backoff.delay(job.attempt, job.id);
                (JobOutcome::Retry { reason, delay }, label)
            }
            Ok(Err(JobError::Fatal(reason))) => (JobOutcome::Failed { reason }, "failed"),
            Err(join) if join.is_panic() => {
                let reason = format!("the handler panicked: {}", panic_message(join.into_panic()));
                (JobOutcome::Failed { reason }, "panicked")
            }
            Err(_) => {
                let reason = "the run was aborted".to_owned();
                (JobOutcome::Failed { reason }, "failed")
            }
        };
        self.finish(&job, &cx, outcome, label, started).await;
    }

    async fn finish(
        &self,
        job: &LeasedJob,
        cx: &JobContext,
        outcome: JobOutcome,
        label: &'static str,
        started: Instant,
    ) {
        let event = match &outcome {
            JobOutcome::Succeeded => JobEvent::Succeeded {
                job_id: job.id,
                kind: job.kind.clone(),
            },
            JobOutcome::Retry { reason, .. } | JobOutcome::Failed { reason } => {
                if label != "retried" {
                    tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempt, reason = %reason, "job failed for good");
                }
                JobEvent::Failed {
                    job_id: job.id,
                    kind: job.kind.clone(),
                    reason: reason.clone(),
                    retrying: label == "retried",
                }
            }
        };
        self.metrics.finished(
            job.queue.as_str(),
            &job.kind,
            label,
            started.elapsed().as_secs_f64(),
        );
        match self
            .jobs
            .queue()
            .finish(job.id, &cx.worker, outcome, unix_now_ms())
            .await
        {
            Ok(true) => cx.publish(event).await,
            Ok(false) => {
                tracing::warn!(job = %job.id, "the job's lease was lost before it finished; its outcome was not recorded");
            }
            Err(error) => {
                tracing::warn!(job = %job.id, %error, "cannot record a job's outcome; it runs again when its lease expires");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_maximum_with_a_bounded_spread() {
        let backoff = Backoff {
            base: Duration::from_secs(2),
            max: Duration::from_secs(60),
        };
        for id in [Uuid::nil(), Uuid::now_v7(), Uuid::max()] {
            for (attempt, base) in [(1, 2), (2, 4), (3, 8), (4, 16), (5, 32)] {
                let delay = backoff.delay(attempt, id);
                assert!(delay >= Duration::from_secs(base), "{attempt}: {delay:?}");
                assert!(
                    delay <= Duration::from_secs(base).mul_f64(1.2),
                    "{attempt}: {delay:?}"
                );
            }
            assert_eq!(backoff.delay(7, id), Duration::from_secs(60));
            assert_eq!(backoff.delay(40, id), Duration::from_secs(60));
        }
    }
}
