//! Rate limits on one server: per client address (`X-Forwarded-For` believed only from
//! `FORWARDED_ALLOW_IPS`), 429 with `Retry-After`, probes never refused. Counting across replicas
//! through Redis is proven in `crates/hearth/tests/replicas.rs`.

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::TestApp;
use hearth_testkit::Backend;

/// Sends requests as `client` until one is refused; returns its position (1-based) and response.
async fn until_refused(app: &TestApp, client: &str) -> (usize, reqwest::Response) {
    for n in 1..=20 {
        let response = app
            .client
            .get(app.url("/api/v1/auths"))
            .header("x-forwarded-for", client)
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            return (n, response);
        }
        // Counted even when unauthenticated: the address limit comes first.
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    panic!("no request was refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addresses_past_their_limit_are_refused_until_the_window_turns() {
    let app = TestApp::spawn_with(Backend::Sqlite, |settings| {
        settings.security.rate_limit_per_ip = 5;
        settings.security.forwarded_allow_ips = vec!["127.0.0.1".into()];
    })
    .await;
    let (refused_at, response) = until_refused(&app, "203.0.113.7").await;
    // The sixth, or a few later if the minute turned during the burst.
    assert!((6..=11).contains(&refused_at), "refused at {refused_at}");
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After: {retry}");
    let body: Value = response.json().await.unwrap();
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("5 requests a minute per ip"),
        "{body}"
    );
    // Another client behind the same trusted proxy has its own count; probes are never refused.
    let (other, _) = until_refused(&app, "203.0.113.8").await;
    assert!((6..=11).contains(&other));
    let health = app
        .client
        .get(app.url("/health"))
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert!(
        app.metric(r#"hearth_rate_limited_requests_total{scope="ip"}"#)
            .await
            >= 2.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_addresses_from_untrusted_peers_are_ignored() {
    let app = TestApp::spawn_with(Backend::Sqlite, |settings| {
        settings.security.rate_limit_per_ip = 5;
    })
    .await;
    // Each request claims another address, but the peer is not a trusted proxy: one count.
    for n in 1..=20 {
        let response = app
            .client
            .get(app.url("/api/v1/auths"))
            .header("x-forwarded-for", format!("198.51.100.{n}"))
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!((6..=11).contains(&n), "refused at {n}");
            return;
        }
    }
    panic!("spoofed addresses escaped the limit");
}
