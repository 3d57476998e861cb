//! A real worker pool on each backend: bad jobs fail alone, effects happen once, stopping releases.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use hearth_bus::LocalBus;
use hearth_core::seams::{Coordinator, JobState, Queue};
use hearth_core::{TenantId, UserId};
use hearth_jobs::{
    Backoff, Canary, Handler, Job, JobContext, JobError, JobMetrics, Jobs, WorkerOptions,
    WorkerPool, builtin_registry, user_channel,
};
use hearth_testkit::{eventually, eventually_within};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::common::{QueueBackend, TestQueue, job};
use crate::each_queue;

fn options(slots: u32) -> WorkerOptions {
    WorkerOptions {
        concurrency: vec![(Queue::High, slots), (Queue::Medium, 1), (Queue::Low, 1)],
        lease: Duration::from_secs(30),
        poll_interval: Duration::from_millis(20),
        backoff: Backoff {
            base: Duration::from_secs(60),
            max: Duration::from_secs(600),
        },
        shutdown_grace: Duration::from_secs(5),
    }
}

/// A job whose handler panics.
#[derive(Serialize, Deserialize)]
struct Explode {}

impl Job for Explode {
    const KIND: &'static str = "test.explode";
    const QUEUE: Queue = Queue::High;
}

struct ExplodeHandler;

#[async_trait]
impl Handler<Explode> for ExplodeHandler {
    async fn run(&self, _job: Explode, _cx: JobContext) -> Result<(), JobError> {
        panic!("boom");
    }
}

fn pool(q: &TestQueue, jobs: &Jobs, bus: Arc<dyn Coordinator>, slots: u32) -> WorkerPool {
    let mut registry = builtin_registry(
        q.store.clone(),
        jobs.queue().clone(),
        Duration::from_secs(60),
    );
    registry.register::<Explode, _>(ExplodeHandler);
    let mut prometheus = prometheus_client::registry::Registry::default();
    let metrics = Arc::new(JobMetrics::register(&mut prometheus));
    WorkerPool::new(jobs.clone(), registry, bus, metrics, options(slots))
}

async fn state_of(jobs: &Jobs, id: Uuid) -> JobState {
    jobs.queue().get(id).await.unwrap().unwrap().state
}

async fn bad_jobs_fail_with_a_reason_and_the_worker_goes_on(backend: QueueBackend) {
    let q = TestQueue::open(backend).await;
    let jobs = Jobs::new(q.queue.clone());
    let unknown = jobs
        .enqueue_new(job("test.no-such-kind", Queue::High, 3))
        .await
        .unwrap();
    let panics = jobs
        .enqueue(&Explode {}, TenantId::DEFAULT, None)
        .await
        .unwrap();
    let corrupted = jobs
        .enqueue(&Canary::default(), TenantId::DEFAULT, None)
        .await
        .unwrap();
    q.corrupt_payload(corrupted).await;
    let fine = jobs
        .enqueue(&Canary::default(), TenantId::DEFAULT, None)
        .await
        .unwrap();
    let running = pool(&q, &jobs, Arc::new(LocalBus::new()), 1).start();
    eventually("every job to finish", || async {
        let mut finished = true;
        for id in [unknown, panics, corrupted, fine] {
            finished &= state_of(&jobs, id).await.is_finished();
        }
        finished
    })
    .await;
    for (id, reason) in [
        (unknown, "no handler for job kind `test.no-such-kind`"),
        (panics, "the handler panicked: boom"),
        (corrupted, "the payload is not a valid `hearth.canary` job"),
    ] {
        let record = jobs.queue().get(id).await.unwrap().unwrap();
        assert_eq!(record.state, JobState::Dead, "{reason}");
        assert!(record.last_error.unwrap().contains(reason), "{reason}");
    }
    assert_eq!(state_of(&jobs, fine).await, JobState::Succeeded);
    // The same worker still runs new work.
    let after = jobs
        .enqueue(&Canary::default(), TenantId::DEFAULT, None)
        .await
        .unwrap();
    eventually("the next job to succeed", || async {
        state_of(&jobs, after).await == JobState::Succeeded
    })
    .await;
    running.shutdown().await;
}

async fn two_pools_apply_each_effect_once(backend: QueueBackend) {
    let q = TestQueue::open(backend).await;
    let first = Jobs::new(q.queue.clone());
    let second = Jobs::new(q.reopen().await);
    let batch = (0..300)
        .map(|_| Jobs::new_job(&Canary::default(), TenantId::DEFAULT, None))
        .collect();
    first.enqueue_many(batch).await.unwrap();
    let bus: Arc<dyn Coordinator> = Arc::new(LocalBus::new());
    let pools = [
        pool(&q, &first, bus.clone(), 3).start(),
        pool(&q, &second, bus, 3).start(),
    ];
    eventually_within("300 canaries to run", Duration::from_secs(60), || async {
        q.store.canary_summary().await.unwrap().jobs == 300
    })
    .await;
    for running in pools {
        running.shutdown().await;
    }
    let summary = q.store.canary_summary().await.unwrap();
    assert_eq!(
        (summary.jobs, summary.runs),
        (300, 300),
        "each job ran once"
    );
    let depths = first.queue().depths().await.unwrap();
    let succeeded: u64 = depths
        .iter()
        .filter(|d| d.state == JobState::Succeeded)
        .map(|d| d.count)
        .sum();
    assert_eq!(succeeded, 300);
}

async fn owners_hear_progress_and_completion(backend: QueueBackend) {
    let q = TestQueue::open(backend).await;
    let jobs = Jobs::new(q.queue.clone());
    let bus: Arc<dyn Coordinator> = Arc::new(LocalBus::new());
    let owner = UserId::new();
    let mut events = bus.subscribe(&user_channel(owner)).await.unwrap();
    let id = jobs
        .enqueue(&Canary::default(), TenantId::DEFAULT, Some(owner))
        .await
        .unwrap();
    let running = pool(&q, &jobs, bus, 1).start();
    let mut seen = Vec::new();
    while let Some(message) = events.next().await {
        let event: Value = serde_json::from_slice(&message).unwrap();
        assert_eq!(event["job_id"], id.to_string());
        let done = event["type"] == "job.succeeded";
        seen.push(event);
        if done {
            break;
        }
    }
    let types: Vec<&str> = seen.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "job.progress",
            "job.progress",
            "job.progress",
            "job.succeeded"
        ]
    );
    assert_eq!(
        (seen[2]["done"].as_u64(), seen[2]["total"].as_u64()),
        (Some(2), Some(2))
    );
    running.shutdown().await;
}

async fn a_stopping_pool_releases_what_it_cannot_finish(backend: QueueBackend) {
    let q = TestQueue::open(backend).await;
    let jobs = Jobs::new(q.queue.clone());
    let slow = Canary {
        hold_ms: 600_000,
        hold_attempts: 1,
    };
    let id = jobs.enqueue(&slow, TenantId::DEFAULT, None).await.unwrap();
    let mut options = options(1);
    options.shutdown_grace = Duration::from_millis(100);
    let mut prometheus = prometheus_client::registry::Registry::default();
    let metrics = Arc::new(JobMetrics::register(&mut prometheus));
    let registry = builtin_registry(
        q.store.clone(),
        jobs.queue().clone(),
        Duration::from_secs(60),
    );
    let running = WorkerPool::new(
        jobs.clone(),
        registry,
        Arc::new(LocalBus::new()),
        metrics,
        options,
    )
    .start();
    eventually("the job to start", || async {
        state_of(&jobs, id).await == JobState::Running
    })
    .await;
    running.shutdown().await;
    let record = jobs.queue().get(id).await.unwrap().unwrap();
    assert_eq!(
        (record.state, record.attempt),
        (JobState::Queued, 0),
        "released unrun"
    );
}

each_queue!(
    bad_jobs_fail_with_a_reason_and_the_worker_goes_on,
    two_pools_apply_each_effect_once,
    owners_hear_progress_and_completion,
    a_stopping_pool_releases_what_it_cannot_finish,
);
