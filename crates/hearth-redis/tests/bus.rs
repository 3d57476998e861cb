//! The coordination contract, on the in-process bus and on Redis. Two handles stand for two
//! processes (on the in-process bus they are the same bus).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use hearth_bus::LocalBus;
use hearth_core::seams::{Coordinator, LockToken};
use hearth_redis::RedisBus;

async fn redis_pair() -> (Arc<dyn Coordinator>, Arc<dyn Coordinator>) {
    let prefix = hearth_testkit::unique_prefix();
    let url = hearth_testkit::redis_url();
    let open = || RedisBus::connect(&url, Duration::from_secs(5), &prefix);
    let first: Arc<dyn Coordinator> = Arc::new(open().await.expect("Redis is needed by this test"));
    let second: Arc<dyn Coordinator> = Arc::new(open().await.unwrap());
    (first, second)
}

fn local_pair() -> (Arc<dyn Coordinator>, Arc<dyn Coordinator>) {
    let bus: Arc<dyn Coordinator> = Arc::new(LocalBus::new());
    (bus.clone(), bus)
}

async fn messages_reach_every_subscriber_of_their_channel_only(
    (one, two): (Arc<dyn Coordinator>, Arc<dyn Coordinator>),
) {
    let mut here = one.subscribe("user:a").await.unwrap();
    let mut there = two.subscribe("user:a").await.unwrap();
    let mut other = two.subscribe("user:b").await.unwrap();
    for n in 0..3 {
        one.publish("user:a", Bytes::from(format!("a{n}")))
            .await
            .unwrap();
    }
    two.publish("user:b", Bytes::from_static(b"b0"))
        .await
        .unwrap();
    for stream in [&mut here, &mut there] {
        for n in 0..3 {
            assert_eq!(
                stream.next().await.unwrap(),
                Bytes::from(format!("a{n}")),
                "in order"
            );
        }
    }
    assert_eq!(other.next().await.unwrap(), Bytes::from_static(b"b0"));
    one.check().await.unwrap();
}

async fn keys_counters_and_locks_are_shared(
    (one, two): (Arc<dyn Coordinator>, Arc<dyn Coordinator>),
) {
    one.set("setting", Bytes::from_static(b"on"), None)
        .await
        .unwrap();
    assert_eq!(
        two.get("setting").await.unwrap(),
        Some(Bytes::from_static(b"on"))
    );
    two.delete("setting").await.unwrap();
    assert_eq!(one.get("setting").await.unwrap(), None);
    one.set(
        "brief",
        Bytes::from_static(b"x"),
        Some(Duration::from_millis(50)),
    )
    .await
    .unwrap();
    hearth_testkit::eventually("the key to expire", || async {
        two.get("brief").await.unwrap().is_none()
    })
    .await;
    let minute = Duration::from_secs(60);
    assert_eq!(one.increment("hits", 2, minute).await.unwrap(), 2);
    assert_eq!(two.increment("hits", 3, minute).await.unwrap(), 5);
    one.set("text", Bytes::from_static(b"not a number"), None)
        .await
        .unwrap();
    assert!(two.increment("text", 1, minute).await.is_err());
    let held = one
        .try_lock("sweep", minute)
        .await
        .unwrap()
        .expect("a free lock");
    assert!(two.try_lock("sweep", minute).await.unwrap().is_none());
    two.unlock("sweep", &LockToken("not the holder".into()))
        .await
        .unwrap();
    assert!(two.try_lock("sweep", minute).await.unwrap().is_none());
    one.unlock("sweep", &held).await.unwrap();
    assert!(
        two.try_lock("sweep", Duration::from_millis(50))
            .await
            .unwrap()
            .is_some()
    );
    hearth_testkit::eventually("the lock to expire", || async {
        one.try_lock("sweep", minute).await.unwrap().is_some()
    })
    .await;
}

#[tokio::test]
async fn local_messages_reach_every_subscriber_of_their_channel_only() {
    messages_reach_every_subscriber_of_their_channel_only(local_pair()).await;
}

#[tokio::test]
async fn redis_messages_reach_every_subscriber_of_their_channel_only() {
    messages_reach_every_subscriber_of_their_channel_only(redis_pair().await).await;
}

#[tokio::test]
async fn local_keys_counters_and_locks_are_shared() {
    keys_counters_and_locks_are_shared(local_pair()).await;
}

#[tokio::test]
async fn redis_keys_counters_and_locks_are_shared() {
    keys_counters_and_locks_are_shared(redis_pair().await).await;
}
