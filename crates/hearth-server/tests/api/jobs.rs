//! Background jobs over HTTP: the admin API, queue metrics, and each user's WebSocket of events.

use std::collections::HashSet;

use futures::{SinkExt, StreamExt};
use hearth_testkit::{Backend, each_backend};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::support::{TestApp, eventually, expect_error};

async fn enqueue(app: &TestApp, admin: &str, body: Value) -> Vec<String> {
    let response = app.post("/api/v1/jobs/canaries", Some(admin), body).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().to_owned())
        .collect()
}

async fn job(app: &TestApp, admin: &str, id: &str) -> Value {
    let response = app.get(&format!("/api/v1/jobs/{id}"), admin).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn wait_for_state(app: &TestApp, admin: &str, id: &str, state: &str) -> Value {
    eventually(&format!("job {id} to be {state}"), || async {
        job(app, admin, id).await["state"] == state
    })
    .await;
    job(app, admin, id).await
}

async fn administrators_run_and_manage_jobs(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let ids = enqueue(&app, &admin, json!({"count": 3})).await;
    for id in &ids {
        let done = wait_for_state(&app, &admin, id, "succeeded").await;
        assert_eq!(
            (done["kind"].as_str(), done["queue"].as_str()),
            (Some("hearth.canary"), Some("high"))
        );
        assert_eq!(done["attempt"], 1);
    }
    let summary: Value = app
        .get("/api/v1/jobs/canaries", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (summary["jobs"].as_u64(), summary["runs"].as_u64()),
        (Some(3), Some(3))
    );
    let listed: Value = app
        .get("/api/v1/jobs?state=succeeded&queue=high", &admin)
        .await
        .json()
        .await
        .unwrap();
    let listed: HashSet<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ids.iter().map(String::as_str).collect());

    // A long job: cancelled while it runs, queued again, then discarded once finished.
    let long = enqueue(&app, &admin, json!({"count": 1, "hold_ms": 600_000}))
        .await
        .remove(0);
    wait_for_state(&app, &admin, &long, "running").await;
    let path = |action: &str| format!("/api/v1/jobs/{long}/{action}");
    let discard = app
        .call(
            Method::DELETE,
            &format!("/api/v1/jobs/{long}"),
            Some(&admin),
            None,
        )
        .await;
    assert!(
        expect_error(discard, StatusCode::CONFLICT)
            .await
            .contains("running")
    );
    let cancelled: Value = app
        .post(&path("cancel"), Some(&admin), json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cancelled["state"], "cancelled");
    let retried: Value = app
        .post(&path("retry"), Some(&admin), json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (retried["state"].as_str(), retried["attempt"].as_u64()),
        (Some("queued"), Some(0))
    );
    // Its first run is held again; cancel it once more and discard it.
    wait_for_state(&app, &admin, &long, "running").await;
    assert_eq!(
        app.post(&path("cancel"), Some(&admin), json!({}))
            .await
            .status(),
        StatusCode::OK
    );
    let again = app.post(&path("cancel"), Some(&admin), json!({})).await;
    assert!(
        expect_error(again, StatusCode::CONFLICT)
            .await
            .contains("cancelled")
    );
    let discard = app
        .call(
            Method::DELETE,
            &format!("/api/v1/jobs/{long}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(discard.status(), StatusCode::NO_CONTENT);
    let gone = app.get(&format!("/api/v1/jobs/{long}"), &admin).await;
    expect_error(gone, StatusCode::NOT_FOUND).await;

    // Queue depths and job runs reach /metrics, where autoscalers read them.
    assert_eq!(
        app.metric("hearth_jobs{queue=\"high\",state=\"succeeded\"}")
            .await,
        3.0
    );
    assert_eq!(
        app.metric("hearth_jobs{queue=\"low\",state=\"dead\"}")
            .await,
        0.0
    );
    assert!(
        app.metric(
            "hearth_job_runs_total{queue=\"high\",kind=\"hearth.canary\",outcome=\"succeeded\"}"
        )
        .await
            >= 3.0
    );
    let ready: Value = app
        .client
        .get(app.url("/ready"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["checks"]["job_queue"], "ok");
}

async fn job_routes_refuse_users_and_bad_input(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let user = app.approved_user(&admin, "user@example.org").await;
    expect_error(app.get("/api/v1/jobs", &user).await, StatusCode::FORBIDDEN).await;
    let refused = app
        .post("/api/v1/jobs/canaries", Some(&user), json!({"count": 1}))
        .await;
    expect_error(refused, StatusCode::FORBIDDEN).await;
    let cases = [
        (
            "/api/v1/jobs?state=exploded",
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a job state",
        ),
        (
            "/api/v1/jobs?queue=urgent",
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a queue",
        ),
        (
            "/api/v1/jobs?limit=-1",
            StatusCode::UNPROCESSABLE_ENTITY,
            "query",
        ),
        ("/api/v1/jobs/not-a-uuid", StatusCode::NOT_FOUND, "path"),
        (
            "/api/v1/jobs/0195f0c2-0000-7000-8000-000000000000",
            StatusCode::NOT_FOUND,
            "not found",
        ),
    ];
    for (path, status, detail) in cases {
        let message = expect_error(app.get(path, &admin).await, status).await;
        assert!(message.contains(detail), "{path}: {message}");
    }
    for body in [
        json!({"count": 0}),
        json!({"count": 100_001}),
        json!({"count": "many"}),
        json!({}),
    ] {
        let response = app
            .post("/api/v1/jobs/canaries", Some(&admin), body.clone())
            .await;
        assert!(response.status().is_client_error(), "{body}");
        expect_error(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let retry_unknown = app
        .post(
            "/api/v1/jobs/0195f0c2-0000-7000-8000-000000000000/retry",
            Some(&admin),
            json!({}),
        )
        .await;
    expect_error(retry_unknown, StatusCode::NOT_FOUND).await;
    // The WebSocket needs a signed-in caller and a WebSocket handshake.
    let anonymous = app
        .client
        .get(app.url("/api/v1/realtime/ws"))
        .send()
        .await
        .unwrap();
    expect_error(anonymous, StatusCode::UNAUTHORIZED).await;
    let plain = app.get("/api/v1/realtime/ws", &admin).await;
    assert!(
        expect_error(plain, StatusCode::BAD_REQUEST)
            .await
            .contains("WebSocket")
    );
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the user's event socket (token in the query, as a browser would) and waits for `hello`.
async fn events(app: &TestApp, token: &str) -> Socket {
    let url = format!(
        "{}/api/v1/realtime/ws?token={token}",
        app.base.replacen("http", "ws", 1)
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("the WebSocket opens");
    let hello = next_event(&mut socket).await;
    assert_eq!(hello["type"], "hello");
    socket
}

async fn next_event(socket: &mut Socket) -> Value {
    loop {
        match socket.next().await.expect("the socket stays open").unwrap() {
            Message::Text(text) => return serde_json::from_str(&text).unwrap(),
            Message::Ping(payload) => socket.send(Message::Pong(payload)).await.unwrap(),
            _ => {}
        }
    }
}

/// Reads events until `job` succeeded; returns them all.
async fn until_succeeded(socket: &mut Socket, job: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let event = next_event(socket).await;
        let done = event["type"] == "job.succeeded" && event["job_id"] == job;
        seen.push(event);
        if done {
            return seen;
        }
    }
}

async fn each_user_hears_only_their_own_jobs(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = app.admin().await;
    let second = app.approved_user(&first, "second@example.org").await;
    let me: Value = app
        .get("/api/v1/auths", &second)
        .await
        .json()
        .await
        .unwrap();
    let promote = app
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", me["id"].as_str().unwrap()),
            Some(&first),
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(promote.status(), StatusCode::OK);
    let mut first_events = events(&app, &first).await;
    let mut second_events = events(&app, &second).await;
    let first_job = enqueue(&app, &first, json!({"count": 1})).await.remove(0);
    let second_job = enqueue(&app, &second, json!({"count": 1})).await.remove(0);
    let heard_by_second = until_succeeded(&mut second_events, &second_job).await;
    let mut heard_by_first = until_succeeded(&mut first_events, &first_job).await;
    // Anything misrouted to the first user would arrive before this later job's events.
    let later = enqueue(&app, &first, json!({"count": 1})).await.remove(0);
    heard_by_first.extend(until_succeeded(&mut first_events, &later).await);
    for event in &heard_by_first {
        assert!(
            event["job_id"] == first_job || event["job_id"] == later,
            "{event}"
        );
    }
    for event in &heard_by_second {
        assert_eq!(event["job_id"], second_job, "{event}");
    }
    let types: Vec<&str> = heard_by_second
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "job.progress",
            "job.progress",
            "job.progress",
            "job.succeeded"
        ]
    );
    assert_eq!(heard_by_second[0]["kind"], "hearth.canary");
}

each_backend!(
    administrators_run_and_manage_jobs,
    job_routes_refuse_users_and_bad_input,
    each_user_hears_only_their_own_jobs,
);
