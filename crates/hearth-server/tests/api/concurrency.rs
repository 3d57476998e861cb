//! Many clients at once: concurrent sign-ups (writes) and sign-ins all succeed on every backend.

use hearth_testkit::{Backend, each_backend};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::TestApp;

const CLIENTS: usize = 200;

async fn two_hundred_concurrent_signups_and_signins_all_succeed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let emails: Vec<String> = (0..CLIENTS)
        .map(|i| format!("client{i}@example.org"))
        .collect();
    let signups = futures::future::join_all(emails.iter().map(|e| {
        app.post(
            "/api/v1/auths/signup",
            None,
            json!({"email": e, "password": "password-123"}),
        )
    }))
    .await;
    let statuses: Vec<StatusCode> = signups.iter().map(|r| r.status()).collect();
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "sign-ups: {statuses:?}"
    );

    let signins = futures::future::join_all(emails.iter().map(|e| {
        app.post(
            "/api/v1/auths/signin",
            None,
            json!({"email": e, "password": "password-123"}),
        )
    }))
    .await;
    let statuses: Vec<StatusCode> = signins.iter().map(|r| r.status()).collect();
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "sign-ins: {statuses:?}"
    );
    assert_eq!(
        app.metric(
            r#"http_requests_total{method="POST",route="/api/v1/auths/signin",status="200"}"#
        )
        .await,
        CLIENTS as f64
    );
}

each_backend!(two_hundred_concurrent_signups_and_signins_all_succeed);
