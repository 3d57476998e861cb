//! Hearth's Redis backends. For now the job queue ([`RedisJobQueue`]); the coordination bus joins it
//! with the scale-out work.
//!
//! Invariants:
//! - Every state change of a job is one Lua script, so a job is always in exactly one state set and
//!   no crash between two commands can lose or duplicate it.
//! - Every key of one queue shares a hash tag, so the scripts also run on Redis Cluster.

mod jobs;

pub use jobs::{RedisJobQueue, RedisOptions};
