//! The coordination seam: pub/sub, shared keys with expiry, counters and locks between processes.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;

use super::SeamError;

/// Messages published on a channel after the subscription was made.
pub type MessageStream = BoxStream<'static, Bytes>;

/// Events kept per channel for clients that reconnect (the oldest are dropped first).
pub const EVENT_LOG_LENGTH: usize = 2_000;

/// How long a channel's events are kept after its last one.
pub const EVENT_LOG_TTL: Duration = Duration::from_secs(600);

/// What a reconnecting subscriber missed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Replay {
    /// The newest event id of the channel (0 before its first event).
    pub latest: u64,
    /// The kept events after the id asked for, oldest first, each with its `"id"`.
    pub events: Vec<Bytes>,
    /// False when some events after the id asked for are no longer kept (or the id is unknown):
    /// the subscriber must re-read its state instead of trusting the replay.
    pub complete: bool,
}

impl Replay {
    /// Builds a replay of `events` (ids ascending) after `after` in a channel whose newest id is
    /// `latest`, deciding whether anything in between was dropped.
    pub fn new(latest: u64, after: u64, events: Vec<(u64, Bytes)>) -> Self {
        let complete = after <= latest
            && match events.first() {
                Some((first, _)) => *first == after + 1,
                None => after == latest,
            };
        Self {
            latest,
            events: events.into_iter().map(|(_, event)| event).collect(),
            complete,
        }
    }
}

/// `payload` (a JSON object) with `"id": id` as its first field.
pub fn with_event_id(payload: &[u8], id: u64) -> Bytes {
    let rest = payload.strip_prefix(b"{").unwrap_or(b"}");
    let rest = rest.trim_ascii_start();
    let separator: &[u8] = if rest.starts_with(b"}") { b"" } else { b"," };
    let mut out = Vec::with_capacity(payload.len() + 24);
    out.extend_from_slice(format!("{{\"id\":{id}").as_bytes());
    out.extend_from_slice(separator);
    out.extend_from_slice(rest);
    Bytes::from(out)
}

/// The id [`with_event_id`] put at the start of an event, if it has one.
pub fn event_id(event: &[u8]) -> Option<u64> {
    let digits = event.strip_prefix(b"{\"id\":")?;
    let end = digits.iter().position(|b| !b.is_ascii_digit())?;
    std::str::from_utf8(&digits[..end]).ok()?.parse().ok()
}

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
    /// Publishes an event that subscribers who reconnect can [`replay`](Self::replay): `payload` is a
    /// JSON object, delivered with an `"id"` added (increasing by one per channel) and kept for
    /// [`EVENT_LOG_TTL`], at most [`EVENT_LOG_LENGTH`] per channel. Returns the id.
    async fn publish_event(&self, channel: &str, payload: Bytes) -> Result<u64, SeamError>;
    /// The kept events of `channel` after the id `after`.
    async fn replay(&self, channel: &str, after: u64) -> Result<Replay, SeamError>;
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
    /// Adds `member` to the shared set `set` (or renews it) until `ttl` from now.
    async fn touch_member(&self, set: &str, member: &str, ttl: Duration) -> Result<(), SeamError>;
    /// Removes `member` from `set`.
    async fn remove_member(&self, set: &str, member: &str) -> Result<(), SeamError>;
    /// The members of `set` that have not expired.
    async fn members(&self, set: &str) -> Result<Vec<String>, SeamError>;
    /// Which connection to the shared bus this process is on: `None` while it is disconnected, a
    /// new number after each reconnect. Whatever a process caches on the strength of invalidation
    /// messages is only good while this stays the same (messages sent while disconnected are lost).
    fn generation(&self) -> Option<u64>;
    /// Whether the bus answers, for `/ready`.
    async fn check(&self) -> Result<(), SeamError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_are_spliced_in_and_read_back() {
        let event = with_event_id(br#"{"type":"x","n":1}"#, 42);
        assert_eq!(&event[..], br#"{"id":42,"type":"x","n":1}"#);
        assert_eq!(event_id(&event), Some(42));
        assert_eq!(&with_event_id(b"{ }", 7)[..], br#"{"id":7}"#);
        assert_eq!(event_id(br#"{"type":"x"}"#), None);
        let parsed: serde_json::Value = serde_json::from_slice(&event).unwrap();
        assert_eq!(parsed["n"], 1);
    }

    #[test]
    fn a_replay_knows_when_events_were_dropped() {
        let event = |id| (id, Bytes::from(format!("{{\"id\":{id}}}")));
        assert!(Replay::new(5, 3, vec![event(4), event(5)]).complete);
        assert!(Replay::new(5, 5, vec![]).complete);
        assert!(Replay::new(0, 0, vec![]).complete);
        // 4 was dropped.
        assert!(!Replay::new(6, 3, vec![event(5), event(6)]).complete);
        // Everything expired.
        assert!(!Replay::new(6, 3, vec![]).complete);
        // An id from before the counter started again.
        assert!(!Replay::new(2, 9, vec![]).complete);
    }
}
