//! The job queue on the relational database: the embedded default (in the app's SQLite file) and the
//! scaled one on PostgreSQL or MariaDB/MySQL.
//!
//! A lease is one guarded `UPDATE`: on PostgreSQL and SQLite `UPDATE … WHERE id = (SELECT … LIMIT 1
//! FOR UPDATE SKIP LOCKED) RETURNING *`, so concurrent workers on PostgreSQL skip each other's rows
//! instead of waiting, and SQLite's single writer serialises them; MySQL has no `RETURNING`, so there
//! it is the same select and update in a transaction. Every later write by a worker is guarded by
//! `state = 'running' AND worker = <its name>`, so a worker whose lease expired cannot overwrite the
//! work of the one that took the job over.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use hearth_core::seams::{
    AdminOutcome, JobFilter, JobOutcome, JobQueue, JobRecord, JobState, LeasedJob, NewJob, Queue,
    QueueDepth, SeamError,
};
use hearth_core::{TenantId, UserId};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, DbBackend, EntityTrait, FromQueryResult, Order, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, TransactionTrait,
};
use uuid::Uuid;

use crate::entities::job::{self, Column};
use crate::entities::job_canary;
use crate::{DbError, Store};

/// Rows per multi-row insert: well under every backend's limit on bound parameters.
const INSERT_BATCH: usize = 500;
/// How often expired leases of jobs out of attempts are moved to `dead`.
const REAP_INTERVAL_MS: i64 = 1_000;

/// The job queue in the store's database.
#[derive(Clone, Debug)]
pub struct SqlJobQueue {
    store: Store,
    /// When this process last reaped expired leases.
    last_reap_ms: Arc<AtomicI64>,
}

/// What the canary jobs have recorded: how many ran, and how many runs that took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CanarySummary {
    /// Canary jobs that ran at least once.
    pub jobs: u64,
    /// Runs in all (more than `jobs` when some ran twice, as at-least-once delivery allows).
    pub runs: u64,
}

impl Store {
    /// The job queue kept in this database.
    pub fn job_queue(&self) -> SqlJobQueue {
        SqlJobQueue {
            store: self.clone(),
            last_reap_ms: Arc::new(AtomicI64::new(0)),
        }
    }

    /// Records one run of a canary job (the diagnostic job that proves workers run end to end).
    pub async fn record_canary_run(
        &self,
        job_id: Uuid,
        worker: &str,
        now: i64,
    ) -> Result<(), DbError> {
        let row = job_canary::ActiveModel {
            job_id: Set(job_id.to_string()),
            runs: Set(1),
            worker: Set(worker.chars().take(200).collect()),
            finished_at: Set(now),
        };
        job_canary::Entity::insert(row)
            .on_conflict(
                OnConflict::column(job_canary::Column::JobId)
                    .value(
                        job_canary::Column::Runs,
                        // Qualified: PostgreSQL finds a bare `runs` ambiguous here.
                        Expr::col((job_canary::Entity, job_canary::Column::Runs)).add(1),
                    )
                    .update_columns([job_canary::Column::Worker, job_canary::Column::FinishedAt])
                    .to_owned(),
            )
            .exec_without_returning(&self.writer)
            .await?;
        Ok(())
    }

    /// What the canary jobs recorded.
    pub async fn canary_summary(&self) -> Result<CanarySummary, DbError> {
        #[derive(FromQueryResult)]
        struct Totals {
            jobs: i64,
            runs: Option<i64>,
        }
        let totals = job_canary::Entity::find()
            .select_only()
            .column_as(Expr::col(job_canary::Column::JobId).count(), "jobs")
            .column_as(
                Expr::col(job_canary::Column::Runs)
                    .sum()
                    .cast_as(sea_orm::sea_query::Alias::new(self.bigint_type())),
                "runs",
            )
            .into_model::<Totals>()
            .one(&self.reader)
            .await?;
        Ok(
            totals.map_or(CanarySummary { jobs: 0, runs: 0 }, |t| CanarySummary {
                jobs: t.jobs as u64,
                runs: t.runs.unwrap_or(0) as u64,
            }),
        )
    }

    /// The type to cast sums to so that every backend returns a 64-bit integer.
    pub(crate) fn bigint_type(&self) -> &'static str {
        match self.writer.get_database_backend() {
            DbBackend::MySql => "SIGNED",
            _ => "BIGINT",
        }
    }
}

fn seam(error: DbError) -> SeamError {
    match error {
        DbError::Unavailable(reason) => SeamError::Unavailable {
            service: "database".into(),
            reason,
        },
        DbError::PoolTimeout => SeamError::Timeout {
            service: "database".into(),
        },
        other => SeamError::Backend(other.to_string()),
    }
}

fn db(error: sea_orm::DbErr) -> SeamError {
    seam(error.into())
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// A stored id that does not parse is kept out of the way rather than failing the whole listing.
fn parse_id<T>(text: &str, make: impl Fn(Uuid) -> T) -> Option<T> {
    match Uuid::parse_str(text) {
        Ok(id) => Some(make(id)),
        Err(_) => {
            tracing::warn!(value = text, "unreadable id in the jobs table");
            None
        }
    }
}

fn to_record(row: job::Model) -> Result<JobRecord, SeamError> {
    let id = Uuid::parse_str(&row.id)
        .map_err(|_| SeamError::Backend(format!("unreadable job id `{}`", row.id)))?;
    let queue = Queue::from_rank(i64::from(row.queue))
        .ok_or_else(|| SeamError::Backend(format!("job {id}: unknown queue {}", row.queue)))?;
    let state = row
        .state
        .parse()
        .map_err(|e| SeamError::Backend(format!("job {id}: {e}")))?;
    Ok(JobRecord {
        id,
        kind: row.kind,
        queue,
        state,
        payload: row.payload,
        tenant_id: parse_id(&row.tenant_id, TenantId).unwrap_or(TenantId::DEFAULT),
        owner: row.owner_id.as_deref().and_then(|o| parse_id(o, UserId)),
        attempt: u32::try_from(row.attempt).unwrap_or(0),
        max_attempts: u32::try_from(row.max_attempts).unwrap_or(0),
        run_at_ms: row.run_at,
        lease_until_ms: row.lease_until,
        worker: row.worker,
        dedupe_key: row.dedupe_key,
        last_error: row.last_error,
        created_at_ms: row.created_at,
        updated_at_ms: row.updated_at,
    })
}

fn to_leased(row: job::Model) -> Result<LeasedJob, SeamError> {
    let record = to_record(row)?;
    Ok(LeasedJob {
        id: record.id,
        kind: record.kind,
        queue: record.queue,
        payload: record.payload,
        tenant_id: record.tenant_id,
        owner: record.owner,
        attempt: record.attempt,
        max_attempts: record.max_attempts,
        run_at_ms: record.run_at_ms,
        lease_until_ms: record.lease_until_ms.unwrap_or_default(),
    })
}

fn new_row(id: Uuid, job: &NewJob, now_ms: i64) -> job::ActiveModel {
    job::ActiveModel {
        id: Set(id.to_string()),
        tenant_id: Set(job.tenant_id.to_string()),
        owner_id: Set(job.owner.map(|o| o.to_string())),
        kind: Set(job.kind.clone()),
        queue: Set(job.queue.rank()),
        state: Set(JobState::Queued.as_str().to_owned()),
        payload: Set(job.payload.to_string()),
        attempt: Set(0),
        max_attempts: Set(i32::try_from(Ord::max(job.max_attempts, 1)).unwrap_or(i32::MAX)),
        run_at: Set(job.run_at_ms.unwrap_or(now_ms)),
        lease_until: Set(None),
        worker: Set(None),
        dedupe_key: Set(job.dedupe_key.clone()),
        last_error: Set(None),
        created_at: Set(now_ms),
        updated_at: Set(now_ms),
    }
}

/// Held by `worker` right now: the guard on every write a worker makes.
fn held_by(id: Uuid, worker: &str) -> Condition {
    Condition::all()
        .add(Column::Id.eq(id.to_string()))
        .add(Column::State.eq(JobState::Running.as_str()))
        .add(Column::Worker.eq(worker))
}

/// Due to run: queued and its time has come. (Jobs whose lease expired are queued again by
/// `SqlJobQueue::reap_expired` first, so this stays one range of the `jobs_due` index.)
fn due(now_ms: i64) -> Condition {
    Condition::all()
        .add(Column::State.eq(JobState::Queued.as_str()))
        .add(Column::RunAt.lte(now_ms))
}

/// Running, but its worker stopped renewing the lease before `now_ms`.
fn lease_expired(now_ms: i64) -> Condition {
    Condition::all()
        .add(Column::State.eq(JobState::Running.as_str()))
        .add(Column::LeaseUntil.lt(now_ms))
}

/// Why a job runs again although no worker reported a failure.
const LOST_LEASE_RETRY: &str =
    "its worker stopped renewing the lease (killed or stuck); running it again";
/// Why a job died with its worker.
const LOST_LEASE: &str =
    "its worker stopped renewing the lease (killed or stuck) on the job's last attempt";

impl SqlJobQueue {
    fn writer(&self) -> &sea_orm::DatabaseConnection {
        &self.store.writer
    }

    fn backend_kind(&self) -> DbBackend {
        self.writer().get_database_backend()
    }

    /// At most once a second: jobs whose lease expired run again (queued, keeping their place and
    /// their attempt count), or are dead when that was their last attempt.
    async fn reap_expired(&self, now_ms: i64) -> Result<(), SeamError> {
        let last = self.last_reap_ms.load(Ordering::Relaxed);
        if now_ms - last < REAP_INTERVAL_MS
            || self
                .last_reap_ms
                .compare_exchange(last, now_ms, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return Ok(());
        }
        job::Entity::update_many()
            .col_expr(Column::State, Expr::value(JobState::Dead.as_str()))
            .col_expr(Column::LastError, Expr::value(LOST_LEASE))
            .col_expr(Column::LeaseUntil, Expr::value(Option::<i64>::None))
            .col_expr(Column::UpdatedAt, Expr::value(now_ms))
            .filter(lease_expired(now_ms))
            .filter(Expr::col(Column::Attempt).gte(Expr::col(Column::MaxAttempts)))
            .exec(self.writer())
            .await
            .map_err(db)?;
        job::Entity::update_many()
            .col_expr(Column::State, Expr::value(JobState::Queued.as_str()))
            .col_expr(Column::LastError, Expr::value(LOST_LEASE_RETRY))
            .col_expr(Column::LeaseUntil, Expr::value(Option::<i64>::None))
            .col_expr(Column::Worker, Expr::value(Option::<String>::None))
            .col_expr(Column::UpdatedAt, Expr::value(now_ms))
            .filter(lease_expired(now_ms))
            .filter(Expr::col(Column::Attempt).lt(Expr::col(Column::MaxAttempts)))
            .exec(self.writer())
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn find_row(&self, id: Uuid) -> Result<Option<job::Model>, SeamError> {
        job::Entity::find_by_id(id.to_string())
            .one(self.writer())
            .await
            .map_err(db)
    }

    /// Why an admin action on `id` did nothing.
    async fn missed(&self, id: Uuid) -> Result<AdminOutcome, SeamError> {
        Ok(match self.find_row(id).await? {
            None => AdminOutcome::NotFound,
            Some(row) => AdminOutcome::WrongState(to_record(row)?.state),
        })
    }

    async fn insert_one(&self, job: &NewJob, now_ms: i64) -> Result<Uuid, SeamError> {
        if let Some(key) = &job.dedupe_key
            && let Some(existing) = self.by_dedupe_key(key).await?
        {
            return Ok(existing);
        }
        let id = Uuid::now_v7();
        let inserted = job::Entity::insert(new_row(id, job, now_ms))
            .exec_without_returning(self.writer())
            .await;
        match inserted {
            Ok(_) => Ok(id),
            Err(error) => match (DbError::from(error), &job.dedupe_key) {
                // Another process enqueued the same key between our look-up and insert.
                (DbError::Conflict(_), Some(key)) => self
                    .by_dedupe_key(key)
                    .await?
                    .ok_or_else(|| SeamError::Backend(format!("dedupe key `{key}` vanished"))),
                (other, _) => Err(seam(other)),
            },
        }
    }

    async fn by_dedupe_key(&self, key: &str) -> Result<Option<Uuid>, SeamError> {
        let row = job::Entity::find()
            .filter(Column::DedupeKey.eq(key))
            .one(self.writer())
            .await
            .map_err(db)?;
        Ok(row.and_then(|r| Uuid::parse_str(&r.id).ok()))
    }

    /// The oldest due job of one queue: one probe of the `jobs_due` index (state, queue, run_at).
    fn candidate(queue: Queue, now_ms: i64) -> sea_orm::Select<job::Entity> {
        job::Entity::find()
            .filter(Column::Queue.eq(queue.rank()))
            .filter(due(now_ms))
            .order_by(Column::RunAt, Order::Asc)
            .order_by(Column::Id, Order::Asc)
            .limit(1)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
    }

    fn lease_update(
        worker: &str,
        lease_until: i64,
        now_ms: i64,
    ) -> sea_orm::UpdateMany<job::Entity> {
        job::Entity::update_many()
            .col_expr(Column::State, Expr::value(JobState::Running.as_str()))
            .col_expr(Column::Worker, Expr::value(worker))
            .col_expr(Column::LeaseUntil, Expr::value(lease_until))
            .col_expr(Column::Attempt, Expr::col(Column::Attempt).add(1))
            .col_expr(Column::UpdatedAt, Expr::value(now_ms))
    }

    async fn lease_from(
        &self,
        queue: Queue,
        worker: &str,
        lease_until: i64,
        now_ms: i64,
    ) -> Result<Option<job::Model>, SeamError> {
        if self.backend_kind() == DbBackend::MySql {
            return self
                .lease_in_transaction(queue, worker, lease_until, now_ms)
                .await;
        }
        let candidate = Self::candidate(queue, now_ms)
            .select_only()
            .column(Column::Id)
            .into_query();
        // `id = (scalar subquery)`, not `id IN (…)`: PostgreSQL may rescan an `IN` subquery per row,
        // and each rescan with SKIP LOCKED can pick (and lease) another row. And nothing else in the
        // outer `WHERE`: a condition on `state` there lets the planner scan the state index and test
        // every queued row against the id (measured: ~400 jobs/s instead of thousands). The row
        // lock re-checks the subquery's conditions on PostgreSQL; SQLite has a single writer.
        let leased = Self::lease_update(worker, lease_until, now_ms)
            .filter(Expr::col(Column::Id).eq(Expr::SubQuery(None, Box::new(candidate.into()))))
            .exec_with_returning(self.writer())
            .await
            .map_err(db)?;
        Ok(leased.into_iter().next())
    }

    /// MySQL has no `UPDATE … RETURNING`: select and lock, update, read back, in one transaction.
    async fn lease_in_transaction(
        &self,
        queue: Queue,
        worker: &str,
        lease_until: i64,
        now_ms: i64,
    ) -> Result<Option<job::Model>, SeamError> {
        let txn = self.writer().begin().await.map_err(db)?;
        let Some(row) = Self::candidate(queue, now_ms).one(&txn).await.map_err(db)? else {
            txn.commit().await.map_err(db)?;
            return Ok(None);
        };
        Self::lease_update(worker, lease_until, now_ms)
            .filter(Column::Id.eq(row.id.clone()))
            .filter(due(now_ms))
            .exec(&txn)
            .await
            .map_err(db)?;
        let leased = job::Entity::find_by_id(row.id)
            .one(&txn)
            .await
            .map_err(db)?;
        txn.commit().await.map_err(db)?;
        Ok(leased)
    }
}

#[async_trait]
impl JobQueue for SqlJobQueue {
    fn backend(&self) -> &'static str {
        self.store.backend_name()
    }

    async fn enqueue(&self, job: NewJob, now_ms: i64) -> Result<Uuid, SeamError> {
        self.insert_one(&job, now_ms).await
    }

    async fn enqueue_many(&self, jobs: Vec<NewJob>, now_ms: i64) -> Result<Vec<Uuid>, SeamError> {
        if jobs.iter().any(|j| j.dedupe_key.is_some()) {
            let mut ids = Vec::with_capacity(jobs.len());
            for job in &jobs {
                ids.push(self.insert_one(job, now_ms).await?);
            }
            return Ok(ids);
        }
        let ids: Vec<Uuid> = jobs.iter().map(|_| Uuid::now_v7()).collect();
        let rows: Vec<job::ActiveModel> = ids
            .iter()
            .zip(&jobs)
            .map(|(id, job)| new_row(*id, job, now_ms))
            .collect();
        let txn = self.writer().begin().await.map_err(db)?;
        for batch in rows.chunks(INSERT_BATCH) {
            job::Entity::insert_many(batch.to_vec())
                .exec_without_returning(&txn)
                .await
                .map_err(db)?;
        }
        txn.commit().await.map_err(db)?;
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
        self.reap_expired(now_ms).await?;
        let lease_until = now_ms.saturating_add(millis(lease));
        // One queue at a time, most urgent first: each is an ordered index range, where one query
        // over several queues would sort every due job of them all.
        for &queue in queues {
            if let Some(row) = self.lease_from(queue, worker, lease_until, now_ms).await? {
                return to_leased(row).map(Some);
            }
        }
        Ok(None)
    }

    async fn heartbeat(
        &self,
        job: Uuid,
        worker: &str,
        lease: Duration,
        now_ms: i64,
    ) -> Result<bool, SeamError> {
        let result = job::Entity::update_many()
            .col_expr(
                Column::LeaseUntil,
                Expr::value(now_ms.saturating_add(millis(lease))),
            )
            .col_expr(Column::UpdatedAt, Expr::value(now_ms))
            .filter(held_by(job, worker))
            .exec(self.writer())
            .await
            .map_err(db)?;
        Ok(result.rows_affected > 0)
    }

    async fn finish(
        &self,
        job: Uuid,
        worker: &str,
        outcome: JobOutcome,
        now_ms: i64,
    ) -> Result<bool, SeamError> {
        let update = || {
            job::Entity::update_many()
                .col_expr(Column::LeaseUntil, Expr::value(Option::<i64>::None))
                .col_expr(Column::UpdatedAt, Expr::value(now_ms))
                .filter(held_by(job, worker))
        };
        let finished = match outcome {
            JobOutcome::Succeeded => update()
                .col_expr(Column::State, Expr::value(JobState::Succeeded.as_str()))
                .col_expr(Column::LastError, Expr::value(Option::<String>::None))
                .exec(self.writer())
                .await
                .map_err(db)?,
            JobOutcome::Failed { reason } => update()
                .col_expr(Column::State, Expr::value(JobState::Dead.as_str()))
                .col_expr(Column::LastError, Expr::value(reason))
                .exec(self.writer())
                .await
                .map_err(db)?,
            JobOutcome::Retry { reason, delay } => {
                let exhausted = update()
                    .col_expr(Column::State, Expr::value(JobState::Dead.as_str()))
                    .col_expr(Column::LastError, Expr::value(reason.clone()))
                    .filter(Expr::col(Column::Attempt).gte(Expr::col(Column::MaxAttempts)))
                    .exec(self.writer())
                    .await
                    .map_err(db)?;
                if exhausted.rows_affected > 0 {
                    return Ok(true);
                }
                update()
                    .col_expr(Column::State, Expr::value(JobState::Queued.as_str()))
                    .col_expr(Column::LastError, Expr::value(reason))
                    .col_expr(
                        Column::RunAt,
                        Expr::value(now_ms.saturating_add(millis(delay))),
                    )
                    .filter(Expr::col(Column::Attempt).lt(Expr::col(Column::MaxAttempts)))
                    .exec(self.writer())
                    .await
                    .map_err(db)?
            }
        };
        Ok(finished.rows_affected > 0)
    }

    async fn release(&self, job: Uuid, worker: &str, now_ms: i64) -> Result<bool, SeamError> {
        let result = job::Entity::update_many()
            .col_expr(Column::State, Expr::value(JobState::Queued.as_str()))
            .col_expr(Column::Attempt, Expr::col(Column::Attempt).sub(1))
            .col_expr(Column::RunAt, Expr::value(now_ms))
            .col_expr(Column::LeaseUntil, Expr::value(Option::<i64>::None))
            .col_expr(Column::Worker, Expr::value(Option::<String>::None))
            .col_expr(Column::UpdatedAt, Expr::value(now_ms))
            .filter(held_by(job, worker))
            .exec(self.writer())
            .await
            .map_err(db)?;
        Ok(result.rows_affected > 0)
    }

    async fn cancel(&self, job: Uuid, now_ms: i64) -> Result<AdminOutcome, SeamError> {
        let result = job::Entity::update_many()
            .col_expr(Column::State, Expr::value(JobState::Cancelled.as_str()))
            .col_expr(Column::LeaseUntil, Expr::value(Option::<i64>::None))
            .col_expr(Column::UpdatedAt, Expr::value(now_ms))
            .filter(Column::Id.eq(job.to_string()))
            .filter(Column::State.is_in([JobState::Queued.as_str(), JobState::Running.as_str()]))
            .exec(self.writer())
            .await
            .map_err(db)?;
        if result.rows_affected > 0 {
            return Ok(AdminOutcome::Done);
        }
        self.missed(job).await
    }

    async fn retry(&self, job: Uuid, now_ms: i64) -> Result<AdminOutcome, SeamError> {
        let result = job::Entity::update_many()
            .col_expr(Column::State, Expr::value(JobState::Queued.as_str()))
            .col_expr(Column::Attempt, Expr::value(0))
            .col_expr(Column::RunAt, Expr::value(now_ms))
            .col_expr(Column::Worker, Expr::value(Option::<String>::None))
            .col_expr(Column::UpdatedAt, Expr::value(now_ms))
            .filter(Column::Id.eq(job.to_string()))
            .filter(Column::State.is_in([JobState::Dead.as_str(), JobState::Cancelled.as_str()]))
            .exec(self.writer())
            .await
            .map_err(db)?;
        if result.rows_affected > 0 {
            return Ok(AdminOutcome::Done);
        }
        self.missed(job).await
    }

    async fn discard(&self, job: Uuid) -> Result<AdminOutcome, SeamError> {
        let result = job::Entity::delete_many()
            .filter(Column::Id.eq(job.to_string()))
            .filter(Column::State.is_in([
                JobState::Succeeded.as_str(),
                JobState::Dead.as_str(),
                JobState::Cancelled.as_str(),
            ]))
            .exec(self.writer())
            .await
            .map_err(db)?;
        if result.rows_affected > 0 {
            return Ok(AdminOutcome::Done);
        }
        self.missed(job).await
    }

    async fn prune(&self, before_ms: i64) -> Result<u64, SeamError> {
        let result = job::Entity::delete_many()
            .filter(
                Column::State.is_in([JobState::Succeeded.as_str(), JobState::Cancelled.as_str()]),
            )
            .filter(Column::UpdatedAt.lt(before_ms))
            .exec(self.writer())
            .await
            .map_err(db)?;
        Ok(result.rows_affected)
    }

    async fn get(&self, job: Uuid) -> Result<Option<JobRecord>, SeamError> {
        self.find_row(job).await?.map(to_record).transpose()
    }

    async fn list(&self, filter: JobFilter) -> Result<Vec<JobRecord>, SeamError> {
        let mut query = job::Entity::find();
        if let Some(state) = filter.state {
            query = query.filter(Column::State.eq(state.as_str()));
        }
        if let Some(queue) = filter.queue {
            query = query.filter(Column::Queue.eq(queue.rank()));
        }
        let rows = query
            .order_by(Column::UpdatedAt, Order::Desc)
            .order_by(Column::Id, Order::Desc)
            .limit(filter.limit)
            .offset(filter.offset)
            .all(&self.store.reader)
            .await
            .map_err(db)?;
        rows.into_iter().map(to_record).collect()
    }

    async fn depths(&self) -> Result<Vec<QueueDepth>, SeamError> {
        #[derive(FromQueryResult)]
        struct Count {
            queue: i16,
            state: String,
            count: i64,
        }
        let counts = job::Entity::find()
            .select_only()
            .column(Column::Queue)
            .column(Column::State)
            .column_as(Expr::col(Column::Id).count(), "count")
            .group_by(Column::Queue)
            .group_by(Column::State)
            .into_model::<Count>()
            .all(&self.store.reader)
            .await
            .map_err(db)?;
        let mut depths = Vec::with_capacity(15);
        for queue in Queue::ALL {
            for state in JobState::ALL {
                let count = counts
                    .iter()
                    .filter(|c| c.queue == queue.rank() && c.state == state.as_str())
                    .map(|c| u64::try_from(c.count).unwrap_or(0))
                    .sum();
                depths.push(QueueDepth {
                    queue,
                    state,
                    count,
                });
            }
        }
        Ok(depths)
    }

    async fn check(&self) -> Result<(), SeamError> {
        self.store.ping().await.map_err(seam)
    }
}
