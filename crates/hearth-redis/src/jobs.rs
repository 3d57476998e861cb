//! The job queue on Redis: a reliable queue built from sorted sets and Lua scripts.
//!
//! Why not streams with consumer groups or `BLMOVE`: jobs need delays (backoff, schedules), a lease
//! per job that its worker renews, priorities across queues, cancellation and an admin view by
//! state. Sorted sets scored by due time and lease end give all of that, and a Lua script per state
//! change moves a job between sets atomically, which is what makes a list-based queue reliable.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use fred::prelude::{ClientLike, HashesInterface, Pool, SortedSetsInterface};
use fred::types::scripts::Script;
use futures::future::try_join_all;
use hearth_core::seams::{
    AdminOutcome, JobFilter, JobOutcome, JobQueue, JobRecord, JobState, LeasedJob, NewJob, Queue,
    QueueDepth, SeamError,
};
use hearth_core::{TenantId, UserId};
use uuid::Uuid;

use crate::connect::{RedisTarget, unavailable};

const PRELUDE: &str = include_str!("lua/prelude.lua");

/// Jobs enqueued in one round of concurrent scripts by `enqueue_many`.
const ENQUEUE_BATCH: usize = 500;

/// How to reach Redis.
#[derive(Clone, Debug)]
pub struct RedisOptions {
    /// The server, sentinels or cluster.
    pub target: RedisTarget,
    /// Connections; commands are pipelined over each.
    pub pool_size: usize,
    /// Key prefix with a hash tag, such as `{hearth:jobs}:`.
    pub namespace: String,
}

/// The loaded scripts, one per state change.
struct Scripts {
    enqueue: Script,
    lease: Script,
    heartbeat: Script,
    finish: Script,
    admin: Script,
    prune: Script,
}

impl Scripts {
    fn new() -> Self {
        let script = |body: &str| Script::from_lua(format!("{PRELUDE}\n{body}"));
        Self {
            enqueue: script(include_str!("lua/enqueue.lua")),
            lease: script(include_str!("lua/lease.lua")),
            heartbeat: script(include_str!("lua/heartbeat.lua")),
            finish: script(include_str!("lua/finish.lua")),
            admin: script(include_str!("lua/admin.lua")),
            prune: script(include_str!("lua/prune.lua")),
        }
    }
}

/// The job queue in Redis.
pub struct RedisJobQueue {
    pool: Pool,
    namespace: String,
    scripts: Scripts,
}

impl std::fmt::Debug for RedisJobQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisJobQueue")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// The stored text of an optional field: empty means none.
fn optional(fields: &HashMap<String, String>, name: &str) -> Option<String> {
    fields.get(name).filter(|v| !v.is_empty()).cloned()
}

fn number(fields: &HashMap<String, String>, name: &str) -> i64 {
    fields.get(name).and_then(|v| v.parse().ok()).unwrap_or(0)
}

fn to_record(id: Uuid, fields: &HashMap<String, String>) -> Result<JobRecord, SeamError> {
    let text = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let queue = text("queue")
        .parse()
        .map_err(|e| SeamError::Backend(format!("job {id}: {e}")))?;
    let state = text("state")
        .parse()
        .map_err(|e| SeamError::Backend(format!("job {id}: {e}")))?;
    Ok(JobRecord {
        id,
        kind: text("kind"),
        queue,
        state,
        payload: text("payload"),
        tenant_id: text("tenant_id").parse().unwrap_or(TenantId::DEFAULT),
        owner: optional(fields, "owner").and_then(|o| o.parse::<UserId>().ok()),
        attempt: u32::try_from(number(fields, "attempt")).unwrap_or(0),
        max_attempts: u32::try_from(number(fields, "max_attempts")).unwrap_or(0),
        run_at_ms: number(fields, "run_at"),
        lease_until_ms: optional(fields, "lease_until").and_then(|v| v.parse().ok()),
        worker: optional(fields, "worker"),
        dedupe_key: optional(fields, "dedupe_key"),
        last_error: optional(fields, "last_error"),
        created_at_ms: number(fields, "created_at"),
        updated_at_ms: number(fields, "updated_at"),
    })
}

/// A flat `[field, value, field, value…]` reply as a map.
fn pairs(flat: Vec<String>) -> HashMap<String, String> {
    let mut map = HashMap::with_capacity(flat.len() / 2);
    let mut items = flat.into_iter();
    while let (Some(field), Some(value)) = (items.next(), items.next()) {
        map.insert(field, value);
    }
    map
}

impl RedisJobQueue {
    /// Connects and checks that Redis answers.
    pub async fn connect(options: RedisOptions) -> Result<Self, SeamError> {
        let pool = options.target.pool(options.pool_size).await?;
        Ok(Self {
            pool,
            namespace: options.namespace,
            scripts: Scripts::new(),
        })
    }

    async fn run<R: fred::types::FromValue>(
        &self,
        script: &Script,
        args: Vec<String>,
    ) -> Result<R, SeamError> {
        script
            .evalsha_with_reload(self.pool.next(), vec![self.namespace.clone()], args)
            .await
            .map_err(unavailable)
    }

    fn job_key(&self, id: Uuid) -> String {
        format!("{}job:{id}", self.namespace)
    }

    fn set_key(&self, state: JobState, queue: Queue) -> String {
        format!("{}q:{state}:{queue}", self.namespace)
    }

    fn enqueue_args(&self, id: Uuid, job: &NewJob, now_ms: i64) -> Vec<String> {
        let run_at = job.run_at_ms.unwrap_or(now_ms);
        let mut args = vec![
            now_ms.to_string(),
            id.to_string(),
            job.dedupe_key.clone().unwrap_or_default(),
            job.queue.to_string(),
            run_at.to_string(),
        ];
        let fields = [
            ("kind", job.kind.clone()),
            ("queue", job.queue.to_string()),
            ("state", JobState::Queued.to_string()),
            ("payload", job.payload.to_string()),
            ("tenant_id", job.tenant_id.to_string()),
            (
                "owner",
                job.owner.map(|o| o.to_string()).unwrap_or_default(),
            ),
            ("attempt", "0".to_owned()),
            ("max_attempts", job.max_attempts.max(1).to_string()),
            ("run_at", run_at.to_string()),
            ("dedupe_key", job.dedupe_key.clone().unwrap_or_default()),
            ("created_at", now_ms.to_string()),
            ("updated_at", now_ms.to_string()),
        ];
        for (field, value) in fields {
            args.push(field.to_owned());
            args.push(value);
        }
        args
    }

    async fn admin(&self, action: &str, job: Uuid, now_ms: i64) -> Result<AdminOutcome, SeamError> {
        let reply: String = self
            .run(
                &self.scripts.admin,
                vec![now_ms.to_string(), action.to_owned(), job.to_string()],
            )
            .await?;
        Ok(match reply.as_str() {
            "done" => AdminOutcome::Done,
            "missing" => AdminOutcome::NotFound,
            state => AdminOutcome::WrongState(
                state
                    .parse()
                    .map_err(|e| SeamError::Backend(format!("job {job}: {e}")))?,
            ),
        })
    }

    async fn fields(&self, id: Uuid) -> Result<HashMap<String, String>, SeamError> {
        self.pool
            .next()
            .hgetall(self.job_key(id))
            .await
            .map_err(unavailable)
    }
}

/// Connects the pool, failing after `timeout` instead of retrying forever.
#[async_trait]
impl JobQueue for RedisJobQueue {
    fn backend(&self) -> &'static str {
        "redis"
    }

    async fn enqueue(&self, job: NewJob, now_ms: i64) -> Result<Uuid, SeamError> {
        let id = Uuid::now_v7();
        let stored: String = self
            .run(&self.scripts.enqueue, self.enqueue_args(id, &job, now_ms))
            .await?;
        Uuid::parse_str(&stored)
            .map_err(|_| SeamError::Backend(format!("unreadable job id `{stored}`")))
    }

    async fn enqueue_many(&self, jobs: Vec<NewJob>, now_ms: i64) -> Result<Vec<Uuid>, SeamError> {
        let mut ids = Vec::with_capacity(jobs.len());
        for batch in jobs.chunks(ENQUEUE_BATCH) {
            // Concurrent commands are pipelined over the pool's connections.
            let stored =
                try_join_all(batch.iter().map(|job| self.enqueue(job.clone(), now_ms))).await?;
            ids.extend(stored);
        }
        Ok(ids)
    }

    async fn lease(
        &self,
        queues: &[Queue],
        worker: &str,
        lease: Duration,
        now_ms: i64,
    ) -> Result<Option<LeasedJob>, SeamError> {
        if queues.is_empty() {
            return Ok(None);
        }
        let mut args = vec![
            now_ms.to_string(),
            worker.to_owned(),
            millis(lease).to_string(),
        ];
        args.extend(queues.iter().map(|q| q.to_string()));
        let reply: Option<Vec<String>> = self.run(&self.scripts.lease, args).await?;
        let Some(flat) = reply else { return Ok(None) };
        let fields = pairs(flat);
        let id = fields
            .get("id")
            .and_then(|id| Uuid::parse_str(id).ok())
            .ok_or_else(|| SeamError::Backend("leased a job without a readable id".into()))?;
        let record = to_record(id, &fields)?;
        Ok(Some(LeasedJob {
            id,
            kind: record.kind,
            queue: record.queue,
            payload: record.payload,
            tenant_id: record.tenant_id,
            owner: record.owner,
            attempt: record.attempt,
            max_attempts: record.max_attempts,
            run_at_ms: record.run_at_ms,
            lease_until_ms: record.lease_until_ms.unwrap_or_default(),
        }))
    }

    async fn heartbeat(
        &self,
        job: Uuid,
        worker: &str,
        lease: Duration,
        now_ms: i64,
    ) -> Result<bool, SeamError> {
        let held: i64 = self
            .run(
                &self.scripts.heartbeat,
                vec![
                    now_ms.to_string(),
                    job.to_string(),
                    worker.to_owned(),
                    millis(lease).to_string(),
                ],
            )
            .await?;
        Ok(held == 1)
    }

    async fn finish(
        &self,
        job: Uuid,
        worker: &str,
        outcome: JobOutcome,
        now_ms: i64,
    ) -> Result<bool, SeamError> {
        let (name, reason, delay) = match outcome {
            JobOutcome::Succeeded => ("succeeded", String::new(), 0),
            JobOutcome::Failed { reason } => ("failed", reason, 0),
            JobOutcome::Retry { reason, delay } => ("retry", reason, millis(delay)),
        };
        let recorded: i64 = self
            .run(
                &self.scripts.finish,
                vec![
                    now_ms.to_string(),
                    job.to_string(),
                    worker.to_owned(),
                    name.to_owned(),
                    reason,
                    delay.to_string(),
                ],
            )
            .await?;
        Ok(recorded == 1)
    }

    async fn release(&self, job: Uuid, worker: &str, now_ms: i64) -> Result<bool, SeamError> {
        let recorded: i64 = self
            .run(
                &self.scripts.finish,
                vec![
                    now_ms.to_string(),
                    job.to_string(),
                    worker.to_owned(),
                    "release".to_owned(),
                    String::new(),
                    "0".to_owned(),
                ],
            )
            .await?;
        Ok(recorded == 1)
    }

    async fn cancel(&self, job: Uuid, now_ms: i64) -> Result<AdminOutcome, SeamError> {
        self.admin("cancel", job, now_ms).await
    }

    async fn retry(&self, job: Uuid, now_ms: i64) -> Result<AdminOutcome, SeamError> {
        self.admin("retry", job, now_ms).await
    }

    async fn discard(&self, job: Uuid) -> Result<AdminOutcome, SeamError> {
        self.admin("discard", job, 0).await
    }

    async fn prune(&self, before_ms: i64) -> Result<u64, SeamError> {
        let mut total = 0;
        loop {
            let mut args = vec!["0".to_owned(), before_ms.to_string()];
            args.extend(Queue::ALL.iter().map(|q| q.to_string()));
            let deleted: u64 = self.run(&self.scripts.prune, args).await?;
            total += deleted;
            if deleted == 0 {
                return Ok(total);
            }
        }
    }

    async fn get(&self, job: Uuid) -> Result<Option<JobRecord>, SeamError> {
        let fields = self.fields(job).await?;
        if fields.is_empty() {
            return Ok(None);
        }
        to_record(job, &fields).map(Some)
    }

    async fn list(&self, filter: JobFilter) -> Result<Vec<JobRecord>, SeamError> {
        let states: Vec<JobState> = filter.state.map_or(JobState::ALL.to_vec(), |s| vec![s]);
        let queues: Vec<Queue> = filter.queue.map_or(Queue::ALL.to_vec(), |q| vec![q]);
        let wanted = filter.offset.saturating_add(filter.limit);
        let stop = i64::try_from(wanted).unwrap_or(i64::MAX).saturating_sub(1);
        let sets: Vec<String> = states
            .iter()
            .flat_map(|s| queues.iter().map(|q| self.set_key(*s, *q)))
            .collect();
        // The newest `offset + limit` of each set, merged: enough to page through their union.
        let ranked: Vec<Vec<(String, f64)>> = try_join_all(
            sets.iter()
                .map(|set| self.pool.next().zrevrange(set.clone(), 0, stop, true)),
        )
        .await
        .map_err(unavailable)?;
        let mut members: Vec<(String, f64)> = ranked.into_iter().flatten().collect();
        members.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| b.0.cmp(&a.0)));
        let page: Vec<Uuid> = members
            .into_iter()
            .skip(usize::try_from(filter.offset).unwrap_or(usize::MAX))
            .take(usize::try_from(filter.limit).unwrap_or(usize::MAX))
            .filter_map(|(id, _)| Uuid::parse_str(&id).ok())
            .collect();
        let records = try_join_all(page.iter().map(|id| self.get(*id))).await?;
        Ok(records.into_iter().flatten().collect())
    }

    async fn depths(&self) -> Result<Vec<QueueDepth>, SeamError> {
        let pairs: Vec<(Queue, JobState)> = Queue::ALL
            .iter()
            .flat_map(|q| JobState::ALL.iter().map(move |s| (*q, *s)))
            .collect();
        let counts: Vec<u64> = try_join_all(
            pairs
                .iter()
                .map(|(q, s)| self.pool.next().zcard::<u64, _>(self.set_key(*s, *q))),
        )
        .await
        .map_err(unavailable)?;
        Ok(pairs
            .into_iter()
            .zip(counts)
            .map(|((queue, state), count)| QueueDepth {
                queue,
                state,
                count,
            })
            .collect())
    }

    async fn check(&self) -> Result<(), SeamError> {
        let _: String = self.pool.next().ping(None).await.map_err(unavailable)?;
        Ok(())
    }
}
