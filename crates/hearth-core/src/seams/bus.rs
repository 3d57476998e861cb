//! The coordination seam: pub/sub, shared keys with expiry, counters and locks between processes.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;

use super::SeamError;

/// Messages published on a channel after the subscription was made.
pub type MessageStream = BoxStream<'static, Bytes>;

/// Proof of holding a lock; only the holder can release it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockToken(pub String);

/// What replicas share: in-process for one binary, Redis for many. The database stays the source of
/// truth for anything that must survive; the bus carries fast paths and events.
#[async_trait]
pub trait Coordinator: Send + Sync + fmt::Debug + 'static {
    /// The backend's name (`local`, `redis`).
    fn backend(&self) -> &'static str;
    /// Delivers `payload` to every current subscriber of `channel`, on every process.
    async fn publish(&self, channel: &str, payload: Bytes) -> Result<(), SeamError>;
    /// Messages on `channel` from now on.
    async fn subscribe(&self, channel: &str) -> Result<MessageStream, SeamError>;
    /// A shared value.
    async fn get(&self, key: &str) -> Result<Option<Bytes>, SeamError>;
    /// Sets a shared value, expiring after `ttl` when given.
    async fn set(&self, key: &str, value: Bytes, ttl: Option<Duration>) -> Result<(), SeamError>;
    /// Removes a shared value.
    async fn delete(&self, key: &str) -> Result<(), SeamError>;
    /// Adds `by` to a counter (created at 0, expiring after `ttl` from creation) and returns the result.
    async fn increment(&self, key: &str, by: i64, ttl: Duration) -> Result<i64, SeamError>;
    /// Takes a lock for at most `ttl`, or returns `None` when another holder has it.
    async fn try_lock(&self, name: &str, ttl: Duration) -> Result<Option<LockToken>, SeamError>;
    /// Releases a lock if `token` still holds it.
    async fn unlock(&self, name: &str, token: &LockToken) -> Result<(), SeamError>;
    /// Whether the bus answers, for `/ready`.
    async fn check(&self) -> Result<(), SeamError>;
}
