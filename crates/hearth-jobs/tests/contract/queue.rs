//! The queue seam itself, with the clock passed in.

use std::collections::HashSet;
use std::time::Duration;

use hearth_core::seams::{
    AdminOutcome, JobFilter, JobOutcome, JobQueue, JobState, Queue, QueueDepth,
};
use hearth_jobs::{PruneJobs, Schedule};
use uuid::Uuid;

use crate::common::{QueueBackend, T0, TestQueue, job};
use crate::each_queue;

const LEASE: Duration = Duration::from_secs(10);

fn count(depths: &[QueueDepth], queue: Queue, state: JobState) -> u64 {
    depths
        .iter()
        .find(|d| d.queue == queue && d.state == state)
        .map_or(0, |d| d.count)
}

async fn kinds_in_lease_order(queue: &dyn JobQueue, queues: &[Queue]) -> Vec<String> {
    let mut kinds = Vec::new();
    while let Some(leased) = queue.lease(queues, "w", LEASE, T0).await.unwrap() {
        assert!(
            queue
                .finish(leased.id, "w", JobOutcome::Succeeded, T0)
                .await
                .unwrap()
        );
        kinds.push(leased.kind);
    }
    kinds
}

async fn most_urgent_queue_first_then_oldest(backend: QueueBackend) {
    let q = TestQueue::open(backend).await;
    for (kind, queue) in [
        ("low-1", Queue::Low),
        ("high-1", Queue::High),
        ("medium-1", Queue::Medium),
        ("high-2", Queue::High),
    ] {
        q.queue
            .enqueue(job(kind, queue, 3), T0 - 1000)
            .await
            .unwrap();
    }
    let mut later = job("high-later", Queue::High, 3);
    later.run_at_ms = Some(T0 + 60_000);
    q.queue.enqueue(later, T0 - 1000).await.unwrap();
    // A slot of the high queue takes only high work; one serving all takes the rest by urgency.
    assert_eq!(
        kinds_in_lease_order(&*q.queue, &[Queue::High]).await,
        ["high-1", "high-2"]
    );
    assert_eq!(
        kinds_in_lease_order(&*q.queue, &Queue::ALL).await,
        ["medium-1", "low-1"]
    );
    let leased = q
        .queue
        .lease(&Queue::ALL, "w", LEASE, T0 + 60_000)
        .await
        .unwrap();
    assert_eq!(
        leased.unwrap().kind,
        "high-later",
        "scheduled jobs start when due"
    );
}

async fn concurrent_workers_each_lease_a_job_once(backend: QueueBackend) {
    let q = TestQueue::open(backend).await;
    let jobs = (0..200).map(|_| job("work", Queue::High, 3)).collect();
    let ids: HashSet<Uuid> = q
        .queue
        .enqueue_many(jobs, T0)
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(ids.len(), 200);
    let workers = (0..8).map(|w| {
        let queue = q.queue.clone();
        tokio::spawn(async move {
            let mut mine = Vec::new();
            let name = format!("worker-{w}");
            while let Some(leased) = queue.lease(&[Queue::High], &name, LEASE, T0).await.unwrap() {
                assert!(
                    queue
                        .finish(leased.id, &name, JobOutcome::Succeeded, T0)
                        .await
                        .unwrap()
                );
                mine.push(leased.id);
            }
            mine
        })
    });
    let mut leased = Vec::new();
    for worker in workers {
        leased.extend(worker.await.unwrap());
    }
    assert_eq!(leased.len(), 200, "every job leased exactly once");
    assert_eq!(leased.iter().copied().collect::<HashSet<_>>(), ids);
    let depths = q.queue.depths().await.unwrap();
    assert_eq!(count(&depths, Queue::High, JobState::Succeeded), 200);
    assert_eq!(count(&depths, Queue::High, JobState::Queued), 0);
    assert_eq!(depths.len(), 15, "every queue and state is reported");
}

async fn failed_runs_back_off_then_die(backend: QueueBackend) {
    let q = TestQueue::open(backend).await;
    let id = q
        .queue
        .enqueue(job("flaky", Queue::Medium, 2), T0)
        .await
        .unwrap();
    let first = q
        .queue
        .lease(&Queue::ALL, "w", LEASE, T0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((first.id, first.attempt, first.max_attempts), (id, 1, 2));
    let retry = JobOutcome::Retry {
        reason: "upstream down".into(),
        delay: Duration::from_secs(30),
    };
    assert!(
        q.queue
            .finish(id, "w", retry.clone(), T0 + 1000)
            .await
            .unwrap()
    );
    let record = q.queue.get(id).await.unwrap().unwrap();
    assert_eq!(record.state, JobState::Queued);
    assert_eq!(record.run_at_ms, T0 + 31_000, "due after the backoff");
    assert_eq!(record.last_error.as_deref(), Some("upstream down"));
    assert!(
        q.queue
            .lease(&Queue::ALL, "w", LEASE, T0 + 30_999)
            .await
            .unwrap()
            .is_none()
    );
    let second = q
        .queue
        .lease(&Queue::ALL, "w", LEASE, T0 + 31_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.attempt, 2);
    // Out of attempts: the job is dead, with the reason, and not leased again.
    assert!(q.queue.finish(id, "w", retry, T0 + 32_000).await.unwrap());
    let record = q.queue.get(id).await.unwrap().unwrap();
    assert_eq!(record.state, JobState::Dead);
    assert_eq!(record.last_error.as_deref(), Some("upstream down"));
    assert!(
        q.queue
            .lease(&Queue::ALL, "w", LEASE, T0 + 999_999)
            .await
            .unwrap()
            .is_none()
    );
    // A fatal failure dies at once.
    let fatal = q
        .queue
        .enqueue(job("bad", Queue::Low, 5), T0)
        .await
        .unwrap();
    q.queue
        .lease(&Queue::ALL, "w", LEASE, T0)
        .await
        .unwrap()
        .unwrap();
    let failed = JobOutcome::Failed {
        reason: "no such file".into(),
    };
    assert!(q.queue.finish(fatal, "w", failed, T0).await.unwrap());
    assert_eq!(
        q.queue.get(fatal).await.unwrap().unwrap().state,
        JobState::Dead
    );
    let dead = JobFilter {
        state: Some(JobState::Dead),
        queue: None,
        limit: 10,
        offset: 0,
    };
    let listed: HashSet<Uuid> = q
        .queue
        .list(dead)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(listed, HashSet::from([id, fatal]));
}

async fn an_expired_lease_passes_the_job_to_another_worker(backend: QueueBackend) {
    let q = TestQueue::open(backend).await;
    let id = q
        .queue
        .enqueue(job("long", Queue::High, 2), T0)
        .await
        .unwrap();
    let held = q
        .queue
        .lease(&Queue::ALL, "lost", LEASE, T0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(held.lease_until_ms, T0 + 10_000);
    assert!(
        q.queue
            .lease(&Queue::ALL, "other", LEASE, T0 + 9_000)
            .await
            .unwrap()
            .is_none()
    );
    // The holder renews while it runs…
    assert!(
        q.queue
            .heartbeat(id, "lost", LEASE, T0 + 9_000)
            .await
            .unwrap()
    );
    assert!(
        q.queue
            .lease(&Queue::ALL, "other", LEASE, T0 + 18_000)
            .await
            .unwrap()
            .is_none()
    );
    // …and once it stops renewing, another worker takes the job over.
    let taken = q
        .queue
        .lease(&Queue::ALL, "other", LEASE, T0 + 19_001)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((taken.id, taken.attempt), (id, 2));
    assert!(
        !q.queue
            .heartbeat(id, "lost", LEASE, T0 + 19_002)
            .await
            .unwrap()
    );
    assert!(
        !q.queue
            .finish(id, "lost", JobOutcome::Succeeded, T0 + 19_003)
            .await
            .unwrap()
    );
    assert!(
        q.queue
            .finish(id, "other", JobOutcome::Succeeded, T0 + 19_004)
            .await
            .unwrap()
    );
    assert_eq!(
        q.queue.get(id).await.unwrap().unwrap().state,
        JobState::Succeeded
    );
    // A job whose lease expires on its last attempt is dead, not run a third time.
    let last = q
        .queue
        .enqueue(job("doomed", Queue::High, 1), T0)
        .await
        .unwrap();
    q.queue
        .lease(&Queue::ALL, "lost", LEASE, T0 + 20_000)
        .await
        .unwrap()
        .unwrap();
    assert!(
        q.queue
            .lease(&Queue::ALL, "other", LEASE, T0 + 40_000)
            .await
            .unwrap()
            .is_none()
    );
    let record = q.queue.get(last).await.unwrap().unwrap();
    assert_eq!(record.state, JobState::Dead);
    assert!(record.last_error.unwrap().contains("lease"));
}

async fn admins_cancel_retry_and_discard(backend: QueueBackend) {
    let q = TestQueue::open(backend).await;
    let queued = q.queue.enqueue(job("a", Queue::Low, 3), T0).await.unwrap();
    assert_eq!(
        q.queue.cancel(queued, T0).await.unwrap(),
        AdminOutcome::Done
    );
    assert!(
        q.queue
            .lease(&Queue::ALL, "w", LEASE, T0)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        q.queue.cancel(queued, T0).await.unwrap(),
        AdminOutcome::WrongState(JobState::Cancelled)
    );
    assert_eq!(
        q.queue.retry(queued, T0 + 5).await.unwrap(),
        AdminOutcome::Done
    );
    let record = q.queue.get(queued).await.unwrap().unwrap();
    assert_eq!((record.state, record.attempt), (JobState::Queued, 0));
    // A running job cancelled: its worker learns at the next heartbeat and cannot finish it.
    let running = q
        .queue
        .lease(&Queue::ALL, "w", LEASE, T0 + 5)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        q.queue.discard(running.id).await.unwrap(),
        AdminOutcome::WrongState(JobState::Running)
    );
    assert_eq!(
        q.queue.cancel(running.id, T0 + 6).await.unwrap(),
        AdminOutcome::Done
    );
    assert!(
        !q.queue
            .heartbeat(running.id, "w", LEASE, T0 + 7)
            .await
            .unwrap()
    );
    assert!(
        !q.queue
            .finish(running.id, "w", JobOutcome::Succeeded, T0 + 8)
            .await
            .unwrap()
    );
    assert_eq!(
        q.queue.discard(running.id).await.unwrap(),
        AdminOutcome::Done
    );
    assert!(q.queue.get(running.id).await.unwrap().is_none());
    let unknown = Uuid::now_v7();
    assert_eq!(
        q.queue.cancel(unknown, T0).await.unwrap(),
        AdminOutcome::NotFound
    );
    assert_eq!(
        q.queue.retry(unknown, T0).await.unwrap(),
        AdminOutcome::NotFound
    );
    assert_eq!(
        q.queue.discard(unknown).await.unwrap(),
        AdminOutcome::NotFound
    );
    // A released job is queued again and its attempt does not count.
    let id = q.queue.enqueue(job("b", Queue::High, 1), T0).await.unwrap();
    q.queue
        .lease(&[Queue::High], "w", LEASE, T0)
        .await
        .unwrap()
        .unwrap();
    assert!(q.queue.release(id, "w", T0 + 1).await.unwrap());
    let again = q
        .queue
        .lease(&[Queue::High], "w2", LEASE, T0 + 2)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.id, again.attempt), (id, 1));
}

async fn a_dedupe_key_stores_one_job(backend: QueueBackend) {
    let q = TestQueue::open(backend).await;
    let schedule = Schedule::of(&PruneJobs {}, Duration::from_secs(3600));
    // Every process enqueues the period's job at once; one is stored.
    let enqueues = (0..6).map(|i| {
        let queue = q.queue.clone();
        let job = schedule.job_at(T0 + i);
        tokio::spawn(async move { queue.enqueue(job, T0).await.unwrap() })
    });
    let mut ids = HashSet::new();
    for enqueue in enqueues {
        ids.insert(enqueue.await.unwrap());
    }
    assert_eq!(ids.len(), 1);
    let id = *ids.iter().next().unwrap();
    let depths = q.queue.depths().await.unwrap();
    assert_eq!(count(&depths, Queue::Low, JobState::Queued), 1);
    // Still one after it ran; the next period gets its own.
    let leased = q
        .queue
        .lease(&Queue::ALL, "w", LEASE, T0)
        .await
        .unwrap()
        .unwrap();
    q.queue
        .finish(leased.id, "w", JobOutcome::Succeeded, T0)
        .await
        .unwrap();
    assert_eq!(
        q.queue.enqueue(schedule.job_at(T0 + 1), T0).await.unwrap(),
        id
    );
    assert_ne!(
        q.queue
            .enqueue(schedule.job_at(T0 + 3_600_000), T0)
            .await
            .unwrap(),
        id
    );
}

async fn jobs_survive_reopening_the_queue(backend: QueueBackend) {
    let q = TestQueue::open(backend).await;
    let ids = q
        .queue
        .enqueue_many((0..3).map(|_| job("durable", Queue::High, 3)).collect(), T0)
        .await
        .unwrap();
    let held = q
        .queue
        .lease(&Queue::ALL, "gone", LEASE, T0)
        .await
        .unwrap()
        .unwrap();
    // Another process (or this one after a restart) sees every job and takes them all, the leased
    // one once its lease has expired.
    let reopened = q.reopen().await;
    let depths = reopened.depths().await.unwrap();
    assert_eq!(count(&depths, Queue::High, JobState::Queued), 2);
    assert_eq!(count(&depths, Queue::High, JobState::Running), 1);
    let mut seen = HashSet::new();
    while let Some(leased) = reopened
        .lease(&Queue::ALL, "new", LEASE, T0 + 60_000)
        .await
        .unwrap()
    {
        seen.insert(leased.id);
    }
    assert_eq!(seen, ids.iter().copied().collect());
    assert!(seen.contains(&held.id));
}

async fn prune_deletes_old_finished_jobs_only(backend: QueueBackend) {
    let q = TestQueue::open(backend).await;
    let old_done = q.queue.enqueue(job("a", Queue::High, 1), T0).await.unwrap();
    q.queue
        .lease(&Queue::ALL, "w", LEASE, T0)
        .await
        .unwrap()
        .unwrap();
    q.queue
        .finish(old_done, "w", JobOutcome::Succeeded, T0)
        .await
        .unwrap();
    let old_dead = q.queue.enqueue(job("b", Queue::High, 1), T0).await.unwrap();
    q.queue
        .lease(&Queue::ALL, "w", LEASE, T0)
        .await
        .unwrap()
        .unwrap();
    let failed = JobOutcome::Failed { reason: "x".into() };
    q.queue.finish(old_dead, "w", failed, T0).await.unwrap();
    let mut scheduled = job("c", Queue::High, 1);
    scheduled.run_at_ms = Some(T0 + 1_000_000);
    let old_queued = q.queue.enqueue(scheduled, T0).await.unwrap();
    let new_done = q
        .queue
        .enqueue(job("d", Queue::High, 1), T0 + 10_000)
        .await
        .unwrap();
    q.queue
        .lease(&Queue::ALL, "w", LEASE, T0 + 10_000)
        .await
        .unwrap()
        .unwrap();
    q.queue
        .finish(new_done, "w", JobOutcome::Succeeded, T0 + 10_000)
        .await
        .unwrap();
    assert_eq!(q.queue.prune(T0 + 5_000).await.unwrap(), 1);
    assert!(q.queue.get(old_done).await.unwrap().is_none());
    for kept in [old_dead, old_queued, new_done] {
        assert!(
            q.queue.get(kept).await.unwrap().is_some(),
            "{kept} was kept"
        );
    }
}

async fn listing_filters_by_state_and_queue(backend: QueueBackend) {
    let q = TestQueue::open(backend).await;
    let mut high = Vec::new();
    for i in 0..5 {
        high.push(
            q.queue
                .enqueue(job("h", Queue::High, 1), T0 + i)
                .await
                .unwrap(),
        );
    }
    let low = q.queue.enqueue(job("l", Queue::Low, 1), T0).await.unwrap();
    let filter = |state, queue, limit, offset| JobFilter {
        state,
        queue,
        limit,
        offset,
    };
    let all = q.queue.list(filter(None, None, 100, 0)).await.unwrap();
    assert_eq!(all.len(), 6);
    let only_low = q
        .queue
        .list(filter(None, Some(Queue::Low), 100, 0))
        .await
        .unwrap();
    assert_eq!(only_low.iter().map(|r| r.id).collect::<Vec<_>>(), [low]);
    let page_one = q
        .queue
        .list(filter(Some(JobState::Queued), Some(Queue::High), 3, 0))
        .await
        .unwrap();
    let page_two = q
        .queue
        .list(filter(Some(JobState::Queued), Some(Queue::High), 3, 3))
        .await
        .unwrap();
    assert_eq!((page_one.len(), page_two.len()), (3, 2));
    let paged: HashSet<Uuid> = page_one.iter().chain(&page_two).map(|r| r.id).collect();
    assert_eq!(paged, high.iter().copied().collect());
    let record = &page_one[0];
    assert_eq!(
        (record.kind.as_str(), record.queue, record.max_attempts),
        ("h", Queue::High, 1)
    );
    assert!(
        q.queue
            .list(filter(Some(JobState::Dead), None, 100, 0))
            .await
            .unwrap()
            .is_empty()
    );
    q.queue.check().await.unwrap();
}

each_queue!(
    most_urgent_queue_first_then_oldest,
    concurrent_workers_each_lease_a_job_once,
    failed_runs_back_off_then_die,
    an_expired_lease_passes_the_job_to_another_worker,
    admins_cancel_retry_and_discard,
    a_dedupe_key_stores_one_job,
    jobs_survive_reopening_the_queue,
    prune_deletes_old_finished_jobs_only,
    listing_filters_by_state_and_queue,
);
