//! The coordination bus on Redis: pub/sub between processes, replayable events, shared keys with
//! expiry, counters, sets and locks.
//!
//! Each process holds one subscriber connection with a pattern subscription on `<prefix>:bus:*`
//! and fans messages out to its local subscribers through a [`LocalBus`]; so a process subscribes to
//! Redis once, however many WebSockets it serves. After a reconnect the subscription is renewed and
//! the [generation](Coordinator::generation) moves on. While Redis is away, what is published here
//! still reaches this process's own subscribers (and the caller hears of the failure), so each
//! replica keeps serving its own clients.
//!
//! A channel's events live in a sorted set scored by id beside its id counter, both under one hash
//! tag (`{<prefix>:ev:<channel>}`), so the one script that numbers, keeps and publishes an event
//! also runs on Redis Cluster.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use bytes::Bytes;
use fred::clients::SubscriberClient;
use fred::interfaces::EventInterface;
use fred::prelude::{
    ClientLike, Expiration, KeysInterface, Pool, PubsubInterface, SetOptions, SortedSetsInterface,
};
use fred::types::Value;
use fred::types::scripts::Script;
use hearth_bus::LocalBus;
use hearth_core::seams::{
    Coordinator, EVENT_LOG_LENGTH, EVENT_LOG_TTL, LockToken, MessageStream, Replay, SeamError,
    event_id,
};

use crate::connect::{RedisTarget, unavailable, within};

/// Adds to a counter and starts its expiry when it is created.
const INCREMENT: &str = r"
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if value == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return value";

/// Deletes a lock only if the caller's token still holds it.
const UNLOCK: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0";

/// Numbers an event, keeps it (dropping the oldest past the length) and publishes it with its id.
/// KEYS: log, counter. ARGV: payload (a JSON object), length, log ttl ms, counter ttl ms, channel.
const PUBLISH_EVENT: &str = r#"
local id = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
local payload = ARGV[1]
local event
if string.len(payload) > 2 then
  event = '{"id":' .. id .. ',' .. string.sub(payload, 2)
else
  event = '{"id":' .. id .. '}'
end
redis.call('ZADD', KEYS[1], id, event)
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[2]) + 1))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', ARGV[5], event)
return id"#;

/// The newest id and the kept events after ARGV[1]. KEYS: log, counter.
const REPLAY: &str = r"
local latest = tonumber(redis.call('GET', KEYS[2]) or '0')
return {latest, redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')}";

/// How long an event counter outlives its channel's last event, so that ids keep increasing for
/// clients that were away longer than the events are kept.
const COUNTER_TTL: Duration = Duration::from_secs(86_400);

/// The [`Coordinator`] shared by every process connected to one Redis.
pub struct RedisBus {
    pool: Pool,
    subscriber: SubscriberClient,
    local: std::sync::Arc<LocalBus>,
    /// `<REDIS_KEY_PREFIX>:`
    prefix: String,
    increment: Script,
    unlock: Script,
    publish_event: Script,
    replay: Script,
    /// Incremented after each reconnect of the subscriber, once its subscription is renewed.
    generation: Arc<AtomicU64>,
}

impl std::fmt::Debug for RedisBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBus")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis())
        .unwrap_or(i64::MAX)
        .max(1)
}

impl RedisBus {
    /// Connects, subscribes to this installation's channels and starts relaying them locally.
    pub async fn connect(target: &RedisTarget, key_prefix: &str) -> Result<Self, SeamError> {
        let builder = target.builder()?;
        let pool = target.pool(4).await?;
        let subscriber = builder.build_subscriber_client().map_err(unavailable)?;
        within(target.connect_timeout, subscriber.init()).await?;
        let prefix = format!("{key_prefix}:");
        let local = Arc::new(LocalBus::new());
        let channels = format!("{prefix}bus:");
        let mut messages = subscriber.message_rx();
        let relay = local.clone();
        tokio::spawn(async move {
            loop {
                match messages.recv().await {
                    Ok(message) => {
                        let Some(channel) = message.channel.strip_prefix(channels.as_str()) else {
                            continue;
                        };
                        let Some(payload) = message.value.as_bytes() else {
                            continue;
                        };
                        let _ = relay
                            .publish(channel, Bytes::copy_from_slice(payload))
                            .await;
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(
                            missed,
                            "the event relay fell behind Redis; events were lost"
                        );
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        });
        subscriber
            .psubscribe(format!("{prefix}bus:*"))
            .await
            .map_err(unavailable)?;
        let generation = Arc::new(AtomicU64::new(1));
        let mut reconnects = subscriber.reconnect_rx();
        let (renewing, counter) = (subscriber.clone(), generation.clone());
        tokio::spawn(async move {
            while reconnects.recv().await.is_ok() {
                match renewing.resubscribe_all().await {
                    Ok(()) => tracing::info!("reconnected to Redis; events flow again"),
                    Err(error) => tracing::warn!(%error, "could not renew the event subscription"),
                }
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        Ok(Self {
            pool,
            subscriber,
            local,
            prefix,
            increment: Script::from_lua(INCREMENT),
            unlock: Script::from_lua(UNLOCK),
            publish_event: Script::from_lua(PUBLISH_EVENT),
            replay: Script::from_lua(REPLAY),
            generation,
        })
    }

    /// The keys of a channel's event log and counter (one hash tag, one cluster slot).
    fn log_keys(&self, channel: &str) -> Vec<String> {
        let log = format!("{{{}ev:{channel}}}", self.prefix);
        vec![log.clone(), format!("{log}:seq")]
    }

    /// Fails at once while disconnected: commands would otherwise wait for the reconnect until
    /// their time-out, and every caller has something better to do meanwhile.
    fn connected(&self) -> Result<(), SeamError> {
        match self.generation() {
            Some(_) => Ok(()),
            None => Err(SeamError::Unavailable {
                service: "redis".into(),
                reason: "disconnected; reconnecting".into(),
            }),
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}kv:{key}", self.prefix)
    }
}

impl Drop for RedisBus {
    fn drop(&mut self) {
        // Ends the relay task (its receiver closes) and the connections.
        let subscriber = self.subscriber.clone();
        let pool = self.pool.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = subscriber.quit().await;
                let _ = pool.quit().await;
            });
        }
    }
}

#[async_trait]
impl Coordinator for RedisBus {
    fn backend(&self) -> &'static str {
        "redis"
    }

    async fn publish(&self, channel: &str, payload: Bytes) -> Result<(), SeamError> {
        let published = match self.connected() {
            Ok(()) => self
                .pool
                .next()
                .publish::<i64, _, _>(format!("{}bus:{channel}", self.prefix), payload.clone())
                .await
                .map_err(unavailable),
            Err(error) => Err(error),
        };
        if let Err(error) = published {
            // This process's own subscribers still hear it.
            let _ = self.local.publish(channel, payload).await;
            return Err(error);
        }
        Ok(())
    }

    async fn publish_event(&self, channel: &str, payload: Bytes) -> Result<u64, SeamError> {
        if let Err(error) = self.connected() {
            let _ = self.local.publish(channel, payload).await;
            return Err(error);
        }
        let published: Result<u64, _> = self
            .publish_event
            .evalsha_with_reload(
                self.pool.next(),
                self.log_keys(channel),
                vec![
                    String::from_utf8_lossy(&payload).into_owned(),
                    EVENT_LOG_LENGTH.to_string(),
                    millis(EVENT_LOG_TTL).to_string(),
                    millis(COUNTER_TTL).to_string(),
                    format!("{}bus:{channel}", self.prefix),
                ],
            )
            .await;
        published.map_err(|error| {
            // Without an id (it cannot be replayed), but this process's subscribers still hear it.
            let local = self.local.clone();
            let channel = channel.to_owned();
            tokio::spawn(async move { local.publish(&channel, payload).await });
            unavailable(error)
        })
    }

    async fn replay(&self, channel: &str, after: u64) -> Result<Replay, SeamError> {
        self.connected()?;
        let (latest, events): (u64, Vec<Value>) = self
            .replay
            .evalsha_with_reload(
                self.pool.next(),
                self.log_keys(channel),
                vec![after.to_string()],
            )
            .await
            .map_err(unavailable)?;
        let events = events
            .into_iter()
            .filter_map(|value| {
                let event = Bytes::copy_from_slice(value.as_bytes()?);
                Some((event_id(&event)?, event))
            })
            .collect();
        Ok(Replay::new(latest, after, events))
    }

    async fn subscribe(&self, channel: &str) -> Result<MessageStream, SeamError> {
        self.local.subscribe(channel).await
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>, SeamError> {
        self.connected()?;
        self.pool
            .next()
            .get(self.key(key))
            .await
            .map_err(unavailable)
    }

    async fn set(&self, key: &str, value: Bytes, ttl: Option<Duration>) -> Result<(), SeamError> {
        self.connected()?;
        let expiry = ttl.map(|ttl| Expiration::PX(millis(ttl)));
        let _: Option<String> = self
            .pool
            .next()
            .set(self.key(key), value, expiry, None, false)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), SeamError> {
        self.connected()?;
        let _: i64 = self
            .pool
            .next()
            .del(self.key(key))
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn increment(&self, key: &str, by: i64, ttl: Duration) -> Result<i64, SeamError> {
        self.connected()?;
        self.increment
            .evalsha_with_reload(
                self.pool.next(),
                vec![self.key(key)],
                vec![by.to_string(), millis(ttl).to_string()],
            )
            .await
            .map_err(|e| match e.kind() {
                fred::error::ErrorKind::Unknown | fred::error::ErrorKind::InvalidArgument => {
                    SeamError::Invalid(format!("`{key}` does not hold a counter: {e}"))
                }
                _ => unavailable(e),
            })
    }

    async fn try_lock(&self, name: &str, ttl: Duration) -> Result<Option<LockToken>, SeamError> {
        self.connected()?;
        let token = uuid::Uuid::now_v7().to_string();
        let set: Option<String> = self
            .pool
            .next()
            .set(
                self.key(&format!("lock:{name}")),
                token.clone(),
                Some(Expiration::PX(millis(ttl))),
                Some(SetOptions::NX),
                false,
            )
            .await
            .map_err(unavailable)?;
        Ok(set.map(|_| LockToken(token)))
    }

    async fn unlock(&self, name: &str, token: &LockToken) -> Result<(), SeamError> {
        self.connected()?;
        let _: i64 = self
            .unlock
            .evalsha_with_reload(
                self.pool.next(),
                vec![self.key(&format!("lock:{name}"))],
                vec![token.0.clone()],
            )
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn touch_member(&self, set: &str, member: &str, ttl: Duration) -> Result<(), SeamError> {
        self.connected()?;
        let key = self.key(&format!("set:{set}"));
        let client = self.pool.next();
        let expires = now_ms().saturating_add(millis(ttl));
        let _: i64 = client
            .zadd(&key, None, None, false, false, (expires as f64, member))
            .await
            .map_err(unavailable)?;
        let _: i64 = client
            .pexpire(&key, millis(ttl), None)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn remove_member(&self, set: &str, member: &str) -> Result<(), SeamError> {
        self.connected()?;
        let _: i64 = self
            .pool
            .next()
            .zrem(self.key(&format!("set:{set}")), member)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn members(&self, set: &str) -> Result<Vec<String>, SeamError> {
        self.connected()?;
        let key = self.key(&format!("set:{set}"));
        let client = self.pool.next();
        let now = now_ms() as f64;
        let _: i64 = client
            .zremrangebyscore(&key, f64::NEG_INFINITY, now)
            .await
            .map_err(unavailable)?;
        client
            .zrangebyscore(&key, now, f64::INFINITY, false, None)
            .await
            .map_err(unavailable)
    }

    fn generation(&self) -> Option<u64> {
        let connected = self.subscriber.is_connected()
            && self.pool.clients().iter().all(ClientLike::is_connected);
        connected.then(|| self.generation.load(Ordering::SeqCst))
    }

    async fn check(&self) -> Result<(), SeamError> {
        self.connected()?;
        let _: String = self.pool.next().ping(None).await.map_err(unavailable)?;
        Ok(())
    }
}
