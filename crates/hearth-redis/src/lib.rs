//! Hearth's Redis backends: the job queue ([`RedisJobQueue`]) and the coordination bus ([`RedisBus`],
//! `WEBSOCKET_MANAGER=redis`), both reaching Redis through one [`RedisTarget`] (a server,
//! Sentinel or Cluster).
//!
//! Invariants:
//! - Every state change of a job is one Lua script, so a job is always in exactly one state set and
//!   no crash between two commands can lose or duplicate it.
//! - Every key of one queue shares a hash tag, so the scripts also run on Redis Cluster.

mod bus;
mod connect;
mod jobs;

pub use bus::RedisBus;
pub use connect::RedisTarget;
pub use jobs::{RedisJobQueue, RedisOptions};
