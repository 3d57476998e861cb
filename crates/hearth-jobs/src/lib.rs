//! Hearth's background jobs: typed jobs with idempotent handlers, run by a pool of workers over the
//! [`JobQueue`](hearth_core::seams::JobQueue) seam, with progress events for their owners, periodic
//! schedules that run once across every process, and queue metrics.
//!
//! The queue itself is a backend ([`open_queue`] picks it from the settings): the relational
//! database (`hearth_db::SqlJobQueue`, the default) or Redis (`hearth_redis::RedisJobQueue`). This
//! crate is the part that is written once: what a job is ([`Job`], [`Handler`]), how workers lease,
//! renew, finish, retry and stop ([`WorkerPool`]), and what they report ([`JobMetrics`], [`JobEvent`]).
//!
//! Invariants:
//! - Delivery is at least once; a handler must be idempotent (a job may run again after its worker
//!   is killed). Every write a worker makes to a job is guarded by its lease.
//! - A failing job never takes its worker down: unknown kinds, corrupted payloads and panics fail
//!   that job with a reason.

mod builtin;
mod client;
mod events;
mod job;
mod metrics;
mod open;
mod worker;

pub use builtin::{Canary, PruneJobs, Schedule, builtin_registry, default_schedules};
pub use client::Jobs;
pub use events::{JobEvent, user_channel};
pub use job::{Handler, Job, JobContext, JobError, Registry};
pub use metrics::JobMetrics;
pub use open::{OpenError, open_queue};
pub use worker::{Backoff, WorkerOptions, WorkerPool, WorkerStop};
