//! The coordination contract, on the in-process bus and on Redis — a single server, behind a
//! Sentinel, and a three-node Cluster. Two handles stand for two processes (on the in-process bus
//! they are the same bus). Also: a Redis that goes away and comes back.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use hearth_bus::LocalBus;
use hearth_core::seams::{Coordinator, LockToken, event_id};
use hearth_redis::{RedisBus, RedisTarget};
use hearth_testkit::deployment::{RedisCluster, RedisSentinel, RedisServer};

type Pair = (Arc<dyn Coordinator>, Arc<dyn Coordinator>);

async fn pair_on(target: RedisTarget) -> Pair {
    let prefix = hearth_testkit::unique_prefix();
    let first: Arc<dyn Coordinator> = Arc::new(
        RedisBus::connect(&target, &prefix)
            .await
            .expect("Redis is needed by this test"),
    );
    let second: Arc<dyn Coordinator> = Arc::new(RedisBus::connect(&target, &prefix).await.unwrap());
    (first, second)
}

async fn redis_pair() -> Pair {
    pair_on(RedisTarget::url(hearth_testkit::redis_url())).await
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

async fn events_are_numbered_and_replayed((one, two): Pair) {
    let channel = format!("user:{}", hearth_testkit::unique_prefix());
    let mut live = two.subscribe(&channel).await.unwrap();
    assert_eq!(one.replay(&channel, 0).await.unwrap().latest, 0);
    for n in 1..=3 {
        let id = one
            .publish_event(&channel, Bytes::from(format!(r#"{{"type":"t","n":{n}}}"#)))
            .await
            .unwrap();
        assert_eq!(id, n, "ids count up from 1 per channel");
    }
    for n in 1..=3u64 {
        let event = live.next().await.unwrap();
        assert_eq!(event_id(&event), Some(n));
        let parsed: serde_json::Value = serde_json::from_slice(&event).unwrap();
        assert_eq!(parsed["n"], n, "{parsed}");
    }
    let replay = two.replay(&channel, 1).await.unwrap();
    assert_eq!(replay.latest, 3);
    assert!(replay.complete);
    let ids: Vec<_> = replay.events.iter().filter_map(|e| event_id(e)).collect();
    assert_eq!(ids, [2, 3]);
    let caught_up = one.replay(&channel, 3).await.unwrap();
    assert!(caught_up.complete && caught_up.events.is_empty());
    assert!(
        !one.replay(&channel, 99).await.unwrap().complete,
        "an id the channel never reached"
    );
}

async fn sets_hold_members_until_they_expire((one, two): Pair) {
    let set = hearth_testkit::unique_prefix();
    one.touch_member(&set, "a", Duration::from_secs(60))
        .await
        .unwrap();
    two.touch_member(&set, "b", Duration::from_millis(50))
        .await
        .unwrap();
    one.touch_member(&set, "c", Duration::from_secs(60))
        .await
        .unwrap();
    two.remove_member(&set, "c").await.unwrap();
    hearth_testkit::eventually("b to expire", || async {
        two.members(&set).await.unwrap() == ["a"]
    })
    .await;
    assert!(one.generation().is_some());
}

/// Every contract test on one pair.
async fn contract(pair: impl Fn() -> std::pin::Pin<Box<dyn Future<Output = Pair>>>) {
    messages_reach_every_subscriber_of_their_channel_only(pair().await).await;
    keys_counters_and_locks_are_shared(pair().await).await;
    events_are_numbered_and_replayed(pair().await).await;
    sets_hold_members_until_they_expire(pair().await).await;
}

#[tokio::test]
async fn local_events_are_numbered_and_replayed() {
    events_are_numbered_and_replayed(local_pair()).await;
}

#[tokio::test]
async fn redis_events_are_numbered_and_replayed() {
    events_are_numbered_and_replayed(redis_pair().await).await;
}

#[tokio::test]
async fn local_sets_hold_members_until_they_expire() {
    sets_hold_members_until_they_expire(local_pair()).await;
}

#[tokio::test]
async fn redis_sets_hold_members_until_they_expire() {
    sets_hold_members_until_they_expire(redis_pair().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contract_holds_behind_a_sentinel() {
    let sentinel = RedisSentinel::start().await;
    let (url, hosts) = sentinel.settings();
    let target = RedisTarget {
        sentinel_hosts: hosts,
        ..RedisTarget::url(url)
    };
    contract(|| Box::pin(pair_on(target.clone()))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contract_holds_on_a_cluster() {
    let cluster = RedisCluster::start().await;
    let target = RedisTarget {
        cluster: true,
        ..RedisTarget::url(cluster.url())
    };
    contract(|| Box::pin(pair_on(target.clone()))).await;
}

/// Redis stops: the generation says so, publishing still reaches this process's own subscribers
/// (and reports the failure), the check fails; Redis returns: both processes reconnect by
/// themselves on a new generation and messages cross between them again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bus_survives_redis_going_away_and_coming_back() {
    let mut redis = RedisServer::start().await;
    let target = RedisTarget {
        connect_timeout: Duration::from_secs(1),
        ..RedisTarget::url(redis.url())
    };
    let (one, two) = pair_on(target).await;
    let before = one.generation().expect("connected");
    let mut here = one.subscribe("news").await.unwrap();
    let mut there = two.subscribe("news").await.unwrap();
    one.publish("news", Bytes::from_static(b"first"))
        .await
        .unwrap();
    assert_eq!(there.next().await.unwrap(), Bytes::from_static(b"first"));
    assert_eq!(here.next().await.unwrap(), Bytes::from_static(b"first"));

    redis.stop();
    hearth_testkit::eventually("the bus to notice", || async { one.generation().is_none() }).await;
    assert!(one.check().await.is_err());
    assert!(
        one.publish("news", Bytes::from_static(b"alone"))
            .await
            .is_err(),
        "the failure is reported"
    );
    assert_eq!(
        here.next().await.unwrap(),
        Bytes::from_static(b"alone"),
        "but this process's subscribers still hear it"
    );
    assert!(
        one.publish_event("news", Bytes::from_static(b"{}"))
            .await
            .is_err()
    );
    assert_eq!(here.next().await.unwrap(), Bytes::from_static(b"{}"));

    redis.resume().await;
    hearth_testkit::eventually_within("both to reconnect", Duration::from_secs(20), || async {
        one.generation().is_some_and(|g| g > before) && two.generation().is_some()
    })
    .await;
    one.check().await.unwrap();
    // The subscription is renewed once the generation moves on: publish until one arrives.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "messages never crossed again"
        );
        if one
            .publish("news", Bytes::from_static(b"again"))
            .await
            .is_ok()
            && let Ok(Some(message)) =
                tokio::time::timeout(Duration::from_millis(200), there.next()).await
            && message == Bytes::from_static(b"again")
        {
            break;
        }
    }
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
