//! The embedded coordination bus: what replicas would share through Redis, kept inside one process.
//!
//! Pub/sub is a broadcast channel per channel name (a subscriber that falls more than
//! [`CHANNEL_CAPACITY`] messages behind loses the oldest, as with Redis pub/sub, which never queues
//! for slow readers); keys, counters and locks live in one map with expiry checked on access.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use hearth_core::seams::{
    Coordinator, EVENT_LOG_LENGTH, EVENT_LOG_TTL, LockToken, MessageStream, Replay, SeamError,
    with_event_id,
};
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;

/// Messages a subscriber may fall behind before it loses the oldest.
pub const CHANNEL_CAPACITY: usize = 1024;

/// A shared value and when it expires.
#[derive(Debug)]
struct Entry {
    value: Bytes,
    expires: Option<Instant>,
}

impl Entry {
    fn live(&self, now: Instant) -> bool {
        self.expires.is_none_or(|at| at > now)
    }
}

/// A channel's recent events.
#[derive(Debug, Default)]
struct EventLog {
    latest: u64,
    events: VecDeque<(u64, Bytes)>,
    last_event: Option<Instant>,
}

/// The in-process [`Coordinator`].
#[derive(Debug, Default)]
pub struct LocalBus {
    channels: Mutex<HashMap<String, broadcast::Sender<Bytes>>>,
    entries: Mutex<HashMap<String, Entry>>,
    logs: Mutex<HashMap<String, EventLog>>,
    /// Shared sets: member → when it expires.
    sets: Mutex<HashMap<String, HashMap<String, Instant>>>,
}

impl LocalBus {
    /// An empty bus.
    pub fn new() -> Self {
        Self::default()
    }

    fn live_value(&self, key: &str) -> Option<Bytes> {
        let now = Instant::now();
        let mut entries = self.entries.lock().expect("bus entries lock");
        match entries.get(key) {
            Some(entry) if entry.live(now) => Some(entry.value.clone()),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }
}

#[async_trait]
impl Coordinator for LocalBus {
    fn backend(&self) -> &'static str {
        "local"
    }

    async fn publish(&self, channel: &str, payload: Bytes) -> Result<(), SeamError> {
        let mut channels = self.channels.lock().expect("bus channels lock");
        if let Some(sender) = channels.get(channel) {
            // No receiver left: forget the channel so the map does not grow with dead names.
            if sender.send(payload).is_err() {
                channels.remove(channel);
            }
        }
        Ok(())
    }

    async fn publish_event(&self, channel: &str, payload: Bytes) -> Result<u64, SeamError> {
        let now = Instant::now();
        let (id, event) = {
            let mut logs = self.logs.lock().expect("bus logs lock");
            let log = logs.entry(channel.to_owned()).or_default();
            if log.last_event.is_some_and(|at| now - at > EVENT_LOG_TTL) {
                log.events.clear();
            }
            log.latest += 1;
            let event = with_event_id(&payload, log.latest);
            log.events.push_back((log.latest, event.clone()));
            if log.events.len() > EVENT_LOG_LENGTH {
                log.events.pop_front();
            }
            log.last_event = Some(now);
            (log.latest, event)
        };
        self.publish(channel, event).await?;
        Ok(id)
    }

    async fn replay(&self, channel: &str, after: u64) -> Result<Replay, SeamError> {
        let logs = self.logs.lock().expect("bus logs lock");
        let Some(log) = logs.get(channel) else {
            return Ok(Replay::new(0, after, Vec::new()));
        };
        let expired = log
            .last_event
            .is_some_and(|at| at.elapsed() > EVENT_LOG_TTL);
        let events = if expired {
            Vec::new()
        } else {
            log.events
                .iter()
                .filter(|(id, _)| *id > after)
                .cloned()
                .collect()
        };
        Ok(Replay::new(log.latest, after, events))
    }

    async fn subscribe(&self, channel: &str) -> Result<MessageStream, SeamError> {
        let receiver = self
            .channels
            .lock()
            .expect("bus channels lock")
            .entry(channel.to_owned())
            .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0)
            .subscribe();
        // A lagging subscriber skips what it missed and goes on.
        Ok(BroadcastStream::new(receiver)
            .filter_map(|message| async move { message.ok() })
            .boxed())
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>, SeamError> {
        Ok(self.live_value(key))
    }

    async fn set(&self, key: &str, value: Bytes, ttl: Option<Duration>) -> Result<(), SeamError> {
        let expires = ttl.map(|ttl| Instant::now() + ttl);
        self.entries
            .lock()
            .expect("bus entries lock")
            .insert(key.to_owned(), Entry { value, expires });
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), SeamError> {
        self.entries.lock().expect("bus entries lock").remove(key);
        Ok(())
    }

    async fn increment(&self, key: &str, by: i64, ttl: Duration) -> Result<i64, SeamError> {
        let now = Instant::now();
        let mut entries = self.entries.lock().expect("bus entries lock");
        let current = entries
            .get(key)
            .filter(|e| e.live(now))
            .map(|e| {
                std::str::from_utf8(&e.value)
                    .ok()
                    .and_then(|t| t.parse::<i64>().ok())
                    .ok_or_else(|| SeamError::Invalid(format!("`{key}` does not hold a counter")))
                    .map(|value| (value, e.expires))
            })
            .transpose()?;
        let (value, expires) = match current {
            Some((value, expires)) => (value.saturating_add(by), expires),
            None => (by, Some(now + ttl)),
        };
        entries.insert(
            key.to_owned(),
            Entry {
                value: Bytes::from(value.to_string()),
                expires,
            },
        );
        Ok(value)
    }

    async fn try_lock(&self, name: &str, ttl: Duration) -> Result<Option<LockToken>, SeamError> {
        let key = format!("lock:{name}");
        let now = Instant::now();
        let mut entries = self.entries.lock().expect("bus entries lock");
        if entries.get(&key).is_some_and(|e| e.live(now)) {
            return Ok(None);
        }
        let token = uuid::Uuid::now_v7().to_string();
        entries.insert(
            key,
            Entry {
                value: Bytes::from(token.clone()),
                expires: Some(now + ttl),
            },
        );
        Ok(Some(LockToken(token)))
    }

    async fn unlock(&self, name: &str, token: &LockToken) -> Result<(), SeamError> {
        let key = format!("lock:{name}");
        let mut entries = self.entries.lock().expect("bus entries lock");
        if entries
            .get(&key)
            .is_some_and(|e| e.value == token.0.as_bytes())
        {
            entries.remove(&key);
        }
        Ok(())
    }

    async fn touch_member(&self, set: &str, member: &str, ttl: Duration) -> Result<(), SeamError> {
        self.sets
            .lock()
            .expect("bus sets lock")
            .entry(set.to_owned())
            .or_default()
            .insert(member.to_owned(), Instant::now() + ttl);
        Ok(())
    }

    async fn remove_member(&self, set: &str, member: &str) -> Result<(), SeamError> {
        if let Some(members) = self.sets.lock().expect("bus sets lock").get_mut(set) {
            members.remove(member);
        }
        Ok(())
    }

    async fn members(&self, set: &str) -> Result<Vec<String>, SeamError> {
        let now = Instant::now();
        let mut sets = self.sets.lock().expect("bus sets lock");
        let Some(members) = sets.get_mut(set) else {
            return Ok(Vec::new());
        };
        members.retain(|_, expires| *expires > now);
        let mut live: Vec<String> = members.keys().cloned().collect();
        live.sort();
        Ok(live)
    }

    fn generation(&self) -> Option<u64> {
        // One process: nothing is ever missed.
        Some(0)
    }

    async fn check(&self) -> Result<(), SeamError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn subscribers_receive_what_is_published_after_they_subscribe() {
        let bus = LocalBus::new();
        bus.publish("a", Bytes::from_static(b"before"))
            .await
            .unwrap();
        let mut first = bus.subscribe("a").await.unwrap();
        let mut other = bus.subscribe("b").await.unwrap();
        bus.publish("a", Bytes::from_static(b"one")).await.unwrap();
        bus.publish("b", Bytes::from_static(b"two")).await.unwrap();
        assert_eq!(first.next().await.unwrap(), Bytes::from_static(b"one"));
        assert_eq!(other.next().await.unwrap(), Bytes::from_static(b"two"));
    }

    #[tokio::test]
    async fn keys_counters_and_locks_expire() {
        let bus = LocalBus::new();
        bus.set("k", Bytes::from_static(b"v"), Some(Duration::ZERO))
            .await
            .unwrap();
        assert_eq!(bus.get("k").await.unwrap(), None);
        bus.set("k", Bytes::from_static(b"v"), None).await.unwrap();
        assert_eq!(bus.get("k").await.unwrap(), Some(Bytes::from_static(b"v")));
        assert_eq!(
            bus.increment("c", 2, Duration::from_secs(60))
                .await
                .unwrap(),
            2
        );
        assert_eq!(
            bus.increment("c", 3, Duration::from_secs(60))
                .await
                .unwrap(),
            5
        );
        assert_eq!(
            bus.increment("k", 1, Duration::from_secs(60)).await.ok(),
            None
        );
        let token = bus
            .try_lock("l", Duration::from_secs(60))
            .await
            .unwrap()
            .unwrap();
        assert!(
            bus.try_lock("l", Duration::from_secs(60))
                .await
                .unwrap()
                .is_none()
        );
        bus.unlock("l", &LockToken("someone else".into()))
            .await
            .unwrap();
        assert!(
            bus.try_lock("l", Duration::from_secs(60))
                .await
                .unwrap()
                .is_none()
        );
        bus.unlock("l", &token).await.unwrap();
        assert!(bus.try_lock("l", Duration::ZERO).await.unwrap().is_some());
        assert!(
            bus.try_lock("l", Duration::from_secs(60))
                .await
                .unwrap()
                .is_some()
        );
    }
}
