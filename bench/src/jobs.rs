//! The jobs benchmark: Hearth's job queue on each backend (SQLite, PostgreSQL, Redis) beside an
//! in-memory channel with the same number of workers — the floor, and what a process that runs
//! background work as in-memory tasks (losing it on a crash) would do.
//!
//! Measured through the same library the server uses (`hearth-jobs` with its real backends), with a
//! no-op handler, so the figures are the queue's own cost:
//! - jobs per second: `JOBS` jobs enqueued in one batch, then drained by a pool of `SLOTS` workers;
//! - enqueue-to-start latency: one job every 10 ms while the pool idles, from this process (whose
//!   enqueues wake its workers) and from "another process" (a second handle, so only polling finds
//!   the job, as for a `hearth worker` beside the `serve` that enqueued).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use async_trait::async_trait;
use hdrhistogram::Histogram;
use hearth_bus::LocalBus;
use hearth_config::{DatabaseSettings, DatabaseTarget, Secret};
use hearth_core::TenantId;
use hearth_core::seams::{JobQueue, JobState, Queue};
use hearth_db::Store;
use hearth_jobs::{
    Backoff, Handler, Job, JobContext, JobError, JobMetrics, Jobs, Registry, WorkerOptions,
    WorkerPool,
};
use hearth_redis::{RedisJobQueue, RedisOptions};
use serde::{Deserialize, Serialize};
use sqlx::{Connection, Executor};

use crate::Table;
use crate::report::Compare;

const S: &str = "jobs";
/// Jobs drained per throughput measurement.
const JOBS: usize = 20_000;
/// Worker slots (all on the high queue).
const SLOTS: u32 = 8;
/// Jobs timed per latency measurement.
const LATENCY_SAMPLES: usize = 300;
/// The poll interval of workers looking for other processes' jobs (Hearth's default).
const POLL: Duration = Duration::from_millis(250);

/// A job that does nothing but note when it started.
#[derive(Serialize, Deserialize)]
struct Noop {
    /// Microseconds since the benchmark's epoch when the job was enqueued.
    sent_us: u64,
}

impl Job for Noop {
    const KIND: &'static str = "bench.noop";
    const QUEUE: Queue = Queue::High;
}

/// Records enqueue-to-start latencies.
#[derive(Clone)]
struct Recorder {
    epoch: Instant,
    latencies: Arc<Mutex<Histogram<u64>>>,
}

impl Recorder {
    fn new() -> Result<Self> {
        Ok(Self {
            epoch: Instant::now(),
            latencies: Arc::new(Mutex::new(Histogram::new(3)?)),
        })
    }

    fn now_us(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    fn record(&self, sent_us: u64) {
        let waited = self.now_us().saturating_sub(sent_us);
        let _ = self
            .latencies
            .lock()
            .expect("histogram lock")
            .record(waited);
    }

    /// (p50, p99) in milliseconds, and a fresh histogram for the next measurement.
    fn take(&self) -> (f64, f64) {
        let mut histogram = self.latencies.lock().expect("histogram lock");
        let result = (
            histogram.value_at_quantile(0.5) as f64 / 1000.0,
            histogram.value_at_quantile(0.99) as f64 / 1000.0,
        );
        histogram.reset();
        result
    }
}

struct NoopHandler(Recorder);

#[async_trait]
impl Handler<Noop> for NoopHandler {
    async fn run(&self, job: Noop, _cx: JobContext) -> Result<(), JobError> {
        self.0.record(job.sent_us);
        Ok(())
    }
}

/// A queue to measure, and what cleans it up.
struct Backend {
    name: &'static str,
    queue: Arc<dyn JobQueue>,
    /// A second handle on the same queue, as another process would have.
    other: Arc<dyn JobQueue>,
    /// Whether other processes can share the queue.
    shared: bool,
    _dir: tempfile::TempDir,
}

fn settings() -> DatabaseSettings {
    DatabaseSettings {
        database_pool_size: 10,
        ..DatabaseSettings::default()
    }
}

async fn sqlite() -> Result<Backend> {
    let dir = tempfile::tempdir()?;
    let target = DatabaseTarget::Sqlite {
        path: dir.path().join("hearth.db"),
    };
    let store = Store::connect(&target, &settings()).await?;
    store.migrate().await?;
    // On SQLite one process owns the queue; the second handle shares the store.
    let queue: Arc<dyn JobQueue> = Arc::new(store.job_queue());
    Ok(Backend {
        name: "SQLite",
        shared: false,
        other: Arc::new(store.job_queue()),
        queue,
        _dir: dir,
    })
}

async fn postgres() -> Result<Backend> {
    #[allow(clippy::disallowed_methods)] // the harness chooses its servers from the environment
    let admin = std::env::var("HEARTH_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable".into());
    let name = format!("hearth_bench_{}", uuid::Uuid::now_v7().simple());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .with_context(|| format!("PostgreSQL at {admin}"))?;
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await?;
    let url = with_database(&admin, &name);
    let target = DatabaseTarget::Postgres {
        url: Secret::new(url),
    };
    let store = Store::connect(&target, &settings()).await?;
    store.migrate().await?;
    let other = Store::connect(&target, &settings()).await?;
    Ok(Backend {
        name: "PostgreSQL",
        shared: true,
        queue: Arc::new(store.job_queue()),
        other: Arc::new(other.job_queue()),
        _dir: tempfile::tempdir()?,
    })
}

/// `scheme://authority/db?query` with another database.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority = base.find("://").map_or(0, |i| i + 3);
    let path = base[authority..]
        .find('/')
        .map_or(base.len(), |i| authority + i);
    let mut out = format!("{}/{database}", &base[..path]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

async fn redis() -> Result<Backend> {
    #[allow(clippy::disallowed_methods)] // the harness chooses its servers from the environment
    let url =
        std::env::var("HEARTH_BENCH_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let namespace = format!("{{hearth_bench_{}:jobs}}:", uuid::Uuid::now_v7().simple());
    let open = || {
        RedisJobQueue::connect(RedisOptions {
            target: hearth_redis::RedisTarget::url(url.clone()),
            pool_size: 4,
            namespace: namespace.clone(),
        })
    };
    Ok(Backend {
        name: "Redis",
        shared: true,
        queue: Arc::new(open().await.context("Redis")?),
        other: Arc::new(open().await.context("Redis")?),
        _dir: tempfile::tempdir()?,
    })
}

fn pool(jobs: &Jobs, recorder: &Recorder) -> WorkerPool {
    let mut registry = Registry::new();
    registry.register::<Noop, _>(NoopHandler(recorder.clone()));
    let mut prometheus = prometheus_client::registry::Registry::default();
    let metrics = Arc::new(JobMetrics::register(&mut prometheus));
    let options = WorkerOptions {
        concurrency: vec![(Queue::High, SLOTS)],
        lease: Duration::from_secs(60),
        poll_interval: POLL,
        backoff: Backoff {
            base: Duration::from_secs(5),
            max: Duration::from_secs(60),
        },
        shutdown_grace: Duration::from_secs(10),
    };
    WorkerPool::new(
        jobs.clone(),
        registry,
        Arc::new(LocalBus::new()),
        metrics,
        options,
    )
}

async fn succeeded(queue: &dyn JobQueue) -> Result<u64> {
    Ok(queue
        .depths()
        .await?
        .iter()
        .filter(|d| d.state == JobState::Succeeded)
        .map(|d| d.count)
        .sum())
}

/// What one backend measured: jobs/s, and (p50, p99) latency from this process and from another.
struct Measured {
    jobs_per_second: f64,
    local: (f64, f64),
    /// `None` where no other process can share the queue (SQLite).
    remote: Option<(f64, f64)>,
}

async fn measure(backend: &Backend) -> Result<Measured> {
    let recorder = Recorder::new()?;
    let jobs = Jobs::new(backend.queue.clone());
    let batch = (0..JOBS)
        .map(|_| Jobs::new_job(&Noop { sent_us: 0 }, TenantId::DEFAULT, None))
        .collect();
    jobs.enqueue_many(batch).await?;
    let before = succeeded(&*backend.queue).await?;
    let started = Instant::now();
    let running = pool(&jobs, &recorder).start();
    while succeeded(&*backend.queue).await? < before + JOBS as u64 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let jobs_per_second = JOBS as f64 / started.elapsed().as_secs_f64();
    recorder.take();

    let other = Jobs::new(backend.other.clone());
    let mut latencies = Vec::new();
    // SQLite has no other process: one `hearth serve` owns the file.
    let sources = if backend.shared {
        vec![&jobs, &other]
    } else {
        vec![&jobs]
    };
    for via in sources {
        let target = succeeded(&*backend.queue).await? + LATENCY_SAMPLES as u64;
        let mut tick = tokio::time::interval(Duration::from_millis(10));
        for _ in 0..LATENCY_SAMPLES {
            tick.tick().await;
            via.enqueue(
                &Noop {
                    sent_us: recorder.now_us(),
                },
                TenantId::DEFAULT,
                None,
            )
            .await?;
        }
        while succeeded(&*backend.queue).await? < target {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        latencies.push(recorder.take());
    }
    running.shutdown().await;
    let remote = latencies.get(1).copied();
    // Leave nothing behind in shared servers.
    backend.queue.prune(i64::MAX).await?;
    eprintln!("{}: jobs measured", backend.name);
    Ok(Measured {
        jobs_per_second,
        local: latencies[0],
        remote,
    })
}

/// The floor: the same number of workers fed by an in-memory channel (nothing durable, nothing
/// shared between processes).
async fn channel_floor() -> Result<Measured> {
    let recorder = Recorder::new()?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Noop>();
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let done = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let workers: Vec<_> = (0..SLOTS)
        .map(|_| {
            let (rx, recorder, done) = (rx.clone(), recorder.clone(), done.clone());
            tokio::spawn(async move {
                loop {
                    let next = rx.lock().await.recv().await;
                    let Some(job) = next else { return };
                    recorder.record(job.sent_us);
                    done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            })
        })
        .collect();
    let count =
        |done: &std::sync::atomic::AtomicU64| done.load(std::sync::atomic::Ordering::Relaxed);
    let started = Instant::now();
    for _ in 0..JOBS {
        tx.send(Noop { sent_us: 0 })?;
    }
    while count(&done) < JOBS as u64 {
        tokio::task::yield_now().await;
    }
    let jobs_per_second = JOBS as f64 / started.elapsed().as_secs_f64();
    recorder.take();
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    for _ in 0..LATENCY_SAMPLES {
        tick.tick().await;
        tx.send(Noop {
            sent_us: recorder.now_us(),
        })?;
    }
    drop(tx);
    for worker in workers {
        worker.await?;
    }
    let local = recorder.take();
    Ok(Measured {
        jobs_per_second,
        local,
        remote: None,
    })
}

/// Runs the jobs scenario on every backend.
pub(crate) async fn run(table: &mut Table) -> Result<()> {
    let floor = channel_floor().await?;
    for backend in [sqlite().await?, postgres().await?, redis().await?] {
        let measured = measure(&backend).await?;
        let name = backend.name;
        table.push(
            S,
            format!("{name}: jobs per second ({JOBS} no-op jobs, {SLOTS} workers)"),
            "jobs/s",
            measured.jobs_per_second,
            Some(floor.jobs_per_second),
            Compare::Ratio,
        );
        let mut latencies = vec![("enqueued by the same process", measured.local)];
        if let Some(remote) = measured.remote {
            latencies.push(("enqueued by another process (found by polling)", remote));
        }
        for (label, (p50, p99)) in latencies {
            table.push(
                S,
                format!("{name}: enqueue to start, {label}, p50"),
                "ms",
                p50,
                Some(floor.local.0),
                Compare::Added,
            );
            table.push(
                S,
                format!("{name}: enqueue to start, {label}, p99"),
                "ms",
                p99,
                Some(floor.local.1),
                Compare::Added,
            );
        }
    }
    Ok(())
}
