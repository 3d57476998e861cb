//! The coordination bus on Redis: pub/sub between processes, shared keys with expiry, counters and
//! locks.
//!
//! Each process holds one subscriber connection with a pattern subscription on `<prefix>:bus:*`
//! (re-subscribed by fred after a reconnect) and fans messages out to its local subscribers through a
//! [`LocalBus`]; so a process subscribes to Redis once, however many WebSockets it serves.

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use fred::clients::SubscriberClient;
use fred::interfaces::EventInterface;
use fred::prelude::{
    Builder, ClientLike, Config, Expiration, KeysInterface, Pool, PubsubInterface, SetOptions,
};
use fred::types::scripts::Script;
use hearth_bus::LocalBus;
use hearth_core::seams::{Coordinator, LockToken, MessageStream, SeamError};

use crate::jobs::{tokio_init, unavailable};

/// Adds to a counter and starts its expiry when it is created.
const INCREMENT: &str = r"
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if value == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return value";

/// Deletes a lock only if the caller's token still holds it.
const UNLOCK: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0";

/// The [`Coordinator`] shared by every process connected to one Redis.
pub struct RedisBus {
    pool: Pool,
    subscriber: SubscriberClient,
    local: std::sync::Arc<LocalBus>,
    /// `<REDIS_KEY_PREFIX>:`
    prefix: String,
    increment: Script,
    unlock: Script,
}

impl std::fmt::Debug for RedisBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBus")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis())
        .unwrap_or(i64::MAX)
        .max(1)
}

impl RedisBus {
    /// Connects, subscribes to this installation's channels and starts relaying them locally.
    pub async fn connect(
        url: &str,
        connect_timeout: Duration,
        key_prefix: &str,
    ) -> Result<Self, SeamError> {
        let config = Config::from_url(url)
            .map_err(|e| SeamError::Invalid(format!("REDIS_URL is not a Redis URL: {e}")))?;
        let mut builder = Builder::from_config(config);
        builder.with_connection_config(|c| c.connection_timeout = connect_timeout);
        let pool = builder.build_pool(4).map_err(unavailable)?;
        tokio_init(&pool, connect_timeout).await?;
        let subscriber = builder.build_subscriber_client().map_err(unavailable)?;
        match tokio::time::timeout(connect_timeout, subscriber.init()).await {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => return Err(unavailable(error)),
            Err(_) => {
                return Err(SeamError::Timeout {
                    service: "redis".into(),
                });
            }
        }
        let _resubscriber = subscriber.manage_subscriptions();
        let prefix = format!("{key_prefix}:");
        let local = std::sync::Arc::new(LocalBus::new());
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
        Ok(Self {
            pool,
            subscriber,
            local,
            prefix,
            increment: Script::from_lua(INCREMENT),
            unlock: Script::from_lua(UNLOCK),
        })
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
        let _: i64 = self
            .pool
            .next()
            .publish(format!("{}bus:{channel}", self.prefix), payload)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn subscribe(&self, channel: &str) -> Result<MessageStream, SeamError> {
        self.local.subscribe(channel).await
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>, SeamError> {
        self.pool
            .next()
            .get(self.key(key))
            .await
            .map_err(unavailable)
    }

    async fn set(&self, key: &str, value: Bytes, ttl: Option<Duration>) -> Result<(), SeamError> {
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
        let _: i64 = self
            .pool
            .next()
            .del(self.key(key))
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn increment(&self, key: &str, by: i64, ttl: Duration) -> Result<i64, SeamError> {
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

    async fn check(&self) -> Result<(), SeamError> {
        let _: String = self.pool.next().ping(None).await.map_err(unavailable)?;
        Ok(())
    }
}
