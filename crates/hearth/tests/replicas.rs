//! Scale-out, proven with real processes: three `hearth serve` replicas and one `hearth worker`
//! on PostgreSQL with pgvector, Redis and S3 (`hearth_testkit::deployment`), driven over HTTP and
//! WebSocket as a load balancer without sticky sessions would spread a user's requests.

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use hearth_fakes::{FakeConfig, FakeServer};
use hearth_testkit::deployment::{Deployment, DeploymentOptions};
use hearth_testkit::eventually_within;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How quickly a change on one replica must be in effect on the others.
const PROPAGATION: Duration = Duration::from_secs(1);

/// A fake model server (the only double: it stands for a paid API) and a deployment using it for
/// chat and embeddings.
async fn deployment_with(
    reply: Vec<String>,
    token_delay: Duration,
    env: &[(&str, &str)],
) -> (FakeServer, Deployment) {
    let fake = FakeServer::start(
        FakeConfig {
            reply,
            token_delay,
            ..FakeConfig::default()
        },
        0,
    )
    .await
    .unwrap();
    let mut options = DeploymentOptions::default();
    let mut all = vec![
        ("OPENAI_API_BASE_URLS", fake.openai_url()),
        ("OPENAI_API_KEYS", "sk-fake".to_owned()),
        ("RAG_EMBEDDING_ENGINE", "openai".to_owned()),
        ("RAG_EMBEDDING_MODEL", "fake-model".to_owned()),
        ("RAG_OPENAI_API_BASE_URL", fake.openai_url()),
        ("RAG_OPENAI_API_KEY", "sk-fake".to_owned()),
        ("ENABLE_TITLE_GENERATION", "false".to_owned()),
    ];
    all.extend(env.iter().map(|(k, v)| (*k, (*v).to_owned())));
    options.env = all.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    let deployment = Deployment::start(env!("CARGO_BIN_EXE_hearth").as_ref(), options).await;
    (fake, deployment)
}

/// A client of the deployment: any replica, one account.
#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    token: String,
}

impl Client {
    async fn sign_up(base: &str, email: &str) -> Self {
        Self::session(base, "signup", email).await
    }

    /// Another session of an existing account.
    async fn sign_in(base: &str, email: &str) -> Self {
        Self::session(base, "signin", email).await
    }

    async fn session(base: &str, action: &str, email: &str) -> Self {
        let http = hearth_testkit::http_client();
        let response = http
            .post(format!("{base}/api/v1/auths/{action}"))
            .json(&json!({"email": email, "password": "a-long-password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        Self {
            http,
            token: body["token"].as_str().unwrap().to_owned(),
        }
    }

    async fn get(&self, url: String) -> reqwest::Response {
        self.http
            .get(url)
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
    }

    async fn json(&self, url: String) -> Value {
        let response = self.get(url).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    async fn post(&self, url: String, body: Value) -> reqwest::Response {
        self.http
            .post(url)
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn socket(&self, base: &str, last_event_id: Option<u64>) -> Socket {
        let mut url = format!(
            "{}/api/v1/realtime/ws?token={}",
            base.replacen("http", "ws", 1),
            self.token
        );
        if let Some(id) = last_event_id {
            url.push_str(&format!("&last_event_id={id}"));
        }
        tokio_tungstenite::connect_async(url).await.unwrap().0
    }
}

/// The next JSON event on a socket (answering pings), or `None` when it closes.
async fn next_event(socket: &mut Socket) -> Option<Value> {
    loop {
        match tokio::time::timeout(Duration::from_secs(30), socket.next())
            .await
            .expect("an event within 30 s")?
        {
            Ok(Message::Text(text)) => return Some(serde_json::from_str(&text).unwrap()),
            Ok(Message::Ping(payload)) => {
                let _ = socket.send(Message::Pong(payload)).await;
            }
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// Started together on an empty database, the processes migrate exactly once and all become
/// ready; a token from A works on B, signing out on A is refused on C within a second; an
/// administrator's model setting changed on A is in effect on B within a second; presence and rate
/// limits count across replicas.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_settings_presence_and_limits_hold_across_replicas() {
    let (_fake, mut deployment) =
        deployment_with(hearth_fakes::tokens(4), Duration::ZERO, &[]).await;
    let applied = format!(
        "applied {} migration(s)",
        hearth_db::Store::migration_names().len()
    );
    let mut migrated = 0;
    for replica in &deployment.replicas {
        migrated += usize::from(replica.output().contains(&applied));
    }
    for (worker, _) in &deployment.workers {
        migrated += usize::from(worker.output().contains(&applied));
    }
    assert_eq!(
        migrated,
        1,
        "exactly one process migrates:\n{}",
        deployment.output()
    );
    let (a, b, c) = (
        deployment.url(0).to_owned(),
        deployment.url(1).to_owned(),
        deployment.url(2).to_owned(),
    );

    let admin = Client::sign_up(&a, "admin@example.org").await;
    let me = admin.json(format!("{b}/api/v1/auths")).await;
    assert_eq!(me["role"], "admin");
    // A second session of the same person, signed out on A, is refused on C within a second —
    // after C has validated (and cached) it.
    let second = Client::sign_in(&b, "admin@example.org").await;
    assert_eq!(
        second.get(format!("{c}/api/v1/auths")).await.status(),
        StatusCode::OK
    );
    let signed_out = second
        .post(format!("{a}/api/v1/auths/signout"), json!({}))
        .await;
    assert_eq!(signed_out.status(), StatusCode::OK);
    eventually_within("the sign-out to reach C", PROPAGATION, || async {
        second.get(format!("{c}/api/v1/auths")).await.status() == StatusCode::UNAUTHORIZED
    })
    .await;
    assert_eq!(
        admin.get(format!("{c}/api/v1/auths")).await.status(),
        StatusCode::OK
    );

    // A model renamed on A (B has the settings cached from this read).
    let models = admin.json(format!("{b}/api/models")).await;
    let model = models["data"][0]["id"]
        .as_str()
        .expect("a model")
        .to_owned();
    let put = admin
        .http
        .put(format!("{a}/api/v1/models/settings"))
        .bearer_auth(&admin.token)
        .json(&json!({"model_id": model, "display_name": "Renamed on A"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        put.status(),
        StatusCode::OK,
        "{}",
        put.text().await.unwrap()
    );
    eventually_within("the setting to reach B", PROPAGATION, || async {
        admin
            .json(format!("{b}/api/models"))
            .await
            .to_string()
            .contains("Renamed on A")
    })
    .await;

    // Presence: a socket open on C shows on A.
    let mut socket = admin.socket(&c, None).await;
    assert_eq!(next_event(&mut socket).await.unwrap()["type"], "hello");
    // The application-level heartbeat.
    socket
        .send(Message::Text(r#"{"type":"ping"}"#.into()))
        .await
        .unwrap();
    assert_eq!(next_event(&mut socket).await.unwrap()["type"], "pong");
    let online = admin.json(format!("{a}/api/v1/users/online")).await;
    assert_eq!(online["user_ids"], json!([me["id"]]), "{online}");
    drop(socket);

    let metrics = admin
        .get(format!("{c}/metrics"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("hearth_coordination_connected 1"),
        "{metrics}"
    );
    for replica in 0..3 {
        assert!(deployment.replicas[replica].is_running());
    }

    // An operator's `hearth admin reset-password`, run beside the replicas, reaches their caches.
    let ops = Client::sign_up(&b, "ops@example.org").await;
    assert_eq!(
        ops.get(format!("{c}/api/v1/auths")).await.status(),
        StatusCode::OK
    );
    let mut reset = tokio::process::Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args([
            "admin",
            "reset-password",
            "--email",
            "ops@example.org",
            "--password-stdin",
        ])
        .env_clear()
        .envs(
            deployment
                .env()
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        )
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use tokio::io::AsyncWriteExt;
    let mut stdin = reset.stdin.take().unwrap();
    stdin.write_all(b"another-long-password\n").await.unwrap();
    drop(stdin);
    let output = reset.wait_with_output().await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("on every replica"), "{stdout}");
    eventually_within("the reset to reach C", PROPAGATION, || async {
        ops.get(format!("{c}/api/v1/auths")).await.status() == StatusCode::UNAUTHORIZED
    })
    .await;
}

/// Thirty requests a minute per user, counted on every replica together (429 with `Retry-After`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_count_across_replicas() {
    let (_fake, deployment) = deployment_with(
        hearth_fakes::tokens(4),
        Duration::ZERO,
        &[("RATE_LIMIT_PER_USER", "30")],
    )
    .await;
    let (a, b, c) = (deployment.url(0), deployment.url(1), deployment.url(2));
    let _admin = Client::sign_up(a, "admin@example.org").await;
    let user = Client::sign_up(b, "user@example.org").await;
    let urls = [a, b, c];
    let mut refused = None;
    for n in 0..40 {
        let response = user.get(format!("{}/api/v1/auths", urls[n % 3])).await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            let retry: u64 = response.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=60).contains(&retry));
            let body: Value = response.json().await.unwrap();
            assert!(
                body["detail"]
                    .as_str()
                    .unwrap()
                    .contains("30 requests a minute"),
                "{body}"
            );
            refused = Some(n);
            break;
        }
        assert_eq!(response.status(), StatusCode::OK);
    }
    // The window may turn during the burst, which only lets a few more through.
    let refused = refused.expect("the limit is enforced");
    assert!((30..40).contains(&refused), "refused at request {refused}");
}

/// A file uploaded through A downloads through B; the worker ingests it and a WebSocket on C sees
/// the progress and the file becoming ready.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_uploaded_anywhere_are_ingested_and_announced_everywhere() {
    let (_fake, deployment) = deployment_with(hearth_fakes::tokens(4), Duration::ZERO, &[]).await;
    let (a, b, c) = (deployment.url(0), deployment.url(1), deployment.url(2));
    let owner = Client::sign_up(a, "owner@example.org").await;
    let mut socket = owner.socket(c, None).await;
    assert_eq!(next_event(&mut socket).await.unwrap()["type"], "hello");

    let text: String = (0..400)
        .map(|i| format!("Paragraph {i}: the lighthouse keeper counts {i} gulls.\n\n"))
        .collect();
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(text.clone().into_bytes()).file_name("gulls.md"),
    );
    let uploaded: Value = owner
        .http
        .post(format!("{a}/api/v1/files/"))
        .bearer_auth(&owner.token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let file = uploaded["id"].as_str().expect("a file id").to_owned();
    let downloaded = owner.get(format!("{b}/api/v1/files/{file}/content")).await;
    assert_eq!(downloaded.status(), StatusCode::OK);
    assert_eq!(downloaded.text().await.unwrap(), text);

    let kb: Value = owner
        .post(format!("{a}/api/v1/knowledge"), json!({"name": "Gulls"}))
        .await
        .json()
        .await
        .unwrap();
    let kb = kb["id"].as_str().unwrap();
    let added = owner
        .post(
            format!("{b}/api/v1/knowledge/{kb}/files"),
            json!({"file_ids": [file]}),
        )
        .await;
    assert_eq!(added.status(), StatusCode::OK);
    let mut seen = Vec::new();
    let ready = loop {
        let event = next_event(&mut socket)
            .await
            .expect("the socket stays open");
        seen.push(event["type"].as_str().unwrap_or_default().to_owned());
        if event["type"] == "file.status" && event["file_id"] == file.as_str() {
            match event["status"].as_str() {
                Some("ready") => break event,
                Some("failed") => panic!("ingestion failed: {event}\n{}", deployment.output()),
                _ => {}
            }
        }
    };
    assert!(ready["passages"].as_u64().unwrap() > 1, "{ready}");
    assert!(seen.iter().any(|t| t == "job.progress"), "{seen:?}");
    assert!(
        ready["id"].as_u64().is_some(),
        "replayable events carry ids: {ready}"
    );
    let found = owner
        .post(
            format!("{c}/api/v1/retrieval/query"),
            json!({"query": "lighthouse keeper gulls", "file_ids": [file], "k": 3}),
        )
        .await;
    assert_eq!(found.status(), StatusCode::OK);
}

/// An answer is streaming while the replica holding the client's WebSocket is killed: the client
/// reconnects to another replica with the last event id it saw and receives the rest; a second
/// tab opening the chat mid-answer sees what was said so far and follows it to the end; the stored
/// chat holds the whole answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_answer_survives_its_listeners_replica_dying() {
    let reply = hearth_fakes::tokens(60);
    let expected: String = reply.concat();
    let (_fake, mut deployment) = deployment_with(reply, Duration::from_millis(40), &[]).await;
    let (a, b) = (deployment.url(0).to_owned(), deployment.url(1).to_owned());
    let c = deployment.url(2).to_owned();
    let user = Client::sign_up(&a, "chatter@example.org").await;
    let model = user.json(format!("{a}/api/models")).await["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let chat: Value = user
        .post(format!("{a}/api/v1/chats"), json!({"title": "Live"}))
        .await
        .json()
        .await
        .unwrap();
    let chat = chat["id"].as_str().expect("a chat id").to_owned();
    let mut socket = user.socket(&c, None).await;
    assert_eq!(next_event(&mut socket).await.unwrap()["type"], "hello");

    // The question goes to A, which runs the answer; its own client reads the stream to the end.
    let asker = user.clone();
    let (a_url, chat_id, model_id) = (a.clone(), chat.clone(), model.clone());
    let asked = tokio::spawn(async move {
        let response = asker
            .post(
                format!("{a_url}/api/chat/completions"),
                json!({"model": model_id, "chat_id": chat_id, "stream": true,
                       "messages": [{"role": "user", "content": "Count for me"}]}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.text().await.unwrap()
    });

    let mut text = String::new();
    let mut last_id = 0;
    let mut message = String::new();
    while text.chars().count() < 40 {
        let event = next_event(&mut socket).await.expect("open");
        if event["type"] == "chat.delta" {
            assert_eq!(
                event["offset"].as_u64().unwrap() as usize,
                text.chars().count()
            );
            text.push_str(event["content"].as_str().unwrap());
            last_id = event["id"].as_u64().unwrap();
            message = event["message_id"].as_str().unwrap().to_owned();
        }
    }

    // A second tab on B, mid-answer: the chat shows the answer so far and where to resume.
    let mid = user.json(format!("{b}/api/v1/chats/{chat}")).await;
    let streaming = mid["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == message.as_str())
        .expect("the answer")
        .clone();
    let mut second_text = streaming["content"].as_str().unwrap().to_owned();
    let mut second = if streaming["status"] == "streaming" {
        Some(user.socket(&b, streaming["stream_event_id"].as_u64()).await)
    } else {
        None
    };

    deployment.kill_replica(2).await;
    // What C had already sent may still be read; then its socket ends.
    while let Some(event) = next_event(&mut socket).await {
        if apply_delta(&event, &mut text) {
            last_id = event["id"].as_u64().unwrap();
        }
    }
    let mut socket = user.socket(&b, Some(last_id)).await;
    let hello = next_event(&mut socket).await.unwrap();
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["resumed"], true, "{hello}");
    let done = follow(&mut socket, &mut text).await;
    assert_eq!(done["status"], "complete", "{done}");
    assert_eq!(text, expected, "the rest arrived, exactly once");
    if let Some(second) = &mut second {
        assert_eq!(next_event(second).await.unwrap()["type"], "hello");
        follow(second, &mut second_text).await;
    }
    assert_eq!(second_text, expected, "the second tab followed along");

    let relayed = asked.await.unwrap();
    assert!(relayed.contains("[DONE]"));
    let stored = user.json(format!("{a}/api/v1/chats/{chat}")).await;
    let answer = stored["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == message.as_str())
        .unwrap()
        .clone();
    assert_eq!(answer["status"], "complete");
    assert_eq!(answer["content"], expected.as_str());
}

/// Adds a `chat.delta` event's text at its offset (what is already there is not added twice);
/// false for other events.
fn apply_delta(event: &Value, text: &mut String) -> bool {
    if event["type"] != "chat.delta" {
        return false;
    }
    let offset = event["offset"].as_u64().unwrap() as usize;
    let have = text.chars().count();
    let content = event["content"].as_str().unwrap();
    assert!(offset <= have, "a gap before {offset} (have {have})");
    text.extend(content.chars().skip(have - offset));
    true
}

/// Applies `chat.delta` events by offset until `chat.done`, which it returns.
async fn follow(socket: &mut Socket, text: &mut String) -> Value {
    loop {
        let event = next_event(socket).await.expect("open");
        if event["type"] == "chat.done" {
            return event;
        }
        apply_delta(&event, text);
    }
}

/// Redis stops for ten seconds while clients keep working: no replica crashes, each keeps serving
/// sign-ins and requests on its own, `/ready` names Redis, and everything — events between replicas
/// included — comes back by itself when Redis does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_ride_out_a_redis_outage() {
    let (_fake, mut deployment) =
        deployment_with(hearth_fakes::tokens(4), Duration::ZERO, &[]).await;
    let urls: Vec<String> = deployment.urls.clone();
    let user = Client::sign_up(&urls[0], "steady@example.org").await;
    let load_user = user.clone();
    let load_urls = urls.clone();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    // Bounded load: at most ten thousand requests, until told to stop.
    let load = tokio::spawn(async move {
        let (mut ok, mut failed) = (0u32, Vec::new());
        for n in 0..10_000usize {
            if *stop_rx.borrow() {
                break;
            }
            let url = format!("{}/api/models", load_urls[n % load_urls.len()]);
            let status = load_user.get(url).await.status();
            if status == StatusCode::OK {
                ok += 1;
            } else {
                failed.push(status);
            }
            tokio::task::yield_now().await;
        }
        (ok, failed)
    });

    deployment.redis.stop();
    let http = hearth_testkit::http_client();
    for url in &urls {
        eventually_within(
            "/ready to report Redis",
            Duration::from_secs(10),
            || async {
                let response = http.get(format!("{url}/ready")).send().await.unwrap();
                let body: Value = response.json().await.unwrap();
                body["checks"]["coordination"] != "ok"
                    && body["detail"]
                        .as_str()
                        .unwrap_or_default()
                        .contains("coordination")
            },
        )
        .await;
    }
    // Alone, each replica still signs people in and serves them, and a sign-out on one is refused
    // at once on the others: without the bus they trust only the database.
    let during = Client::sign_up(&urls[1], "during@example.org").await;
    assert_eq!(
        during
            .get(format!("{}/api/v1/auths", urls[2]))
            .await
            .status(),
        StatusCode::OK
    );
    let brief = Client::sign_in(&urls[1], "during@example.org").await;
    assert_eq!(
        brief
            .get(format!("{}/api/v1/auths", urls[2]))
            .await
            .status(),
        StatusCode::OK
    );
    let signed_out = brief
        .post(format!("{}/api/v1/auths/signout", urls[0]), json!({}))
        .await;
    assert_eq!(signed_out.status(), StatusCode::OK);
    for url in &urls {
        assert_eq!(
            brief.get(format!("{url}/api/v1/auths")).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let outage = Instant::now();
    // The outage lasts ten seconds (the load keeps running meanwhile).
    while outage.elapsed() < Duration::from_secs(10) {
        assert!(
            during
                .get(format!("{}/api/v1/auths", urls[0]))
                .await
                .status()
                .is_success()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    deployment.redis.resume().await;
    for url in &urls {
        eventually_within("/ready to recover", Duration::from_secs(20), || async {
            http.get(format!("{url}/ready"))
                .send()
                .await
                .is_ok_and(|r| r.status() == StatusCode::OK)
        })
        .await;
    }
    stop_tx.send(true).unwrap();
    let (ok, failed) = load.await.unwrap();
    assert!(ok > 0);
    assert!(
        failed.is_empty(),
        "requests failed during the outage: {failed:?}"
    );
    for replica in &mut deployment.replicas {
        assert!(replica.is_running(), "{}", replica.output());
    }
    // Events cross replicas again: the worker's job, asked for on A, is seen on C.
    let mut socket = user.socket(&urls[2], None).await;
    assert_eq!(next_event(&mut socket).await.unwrap()["type"], "hello");
    let canaries: Value = user
        .post(
            format!("{}/api/v1/jobs/canaries", urls[0]),
            json!({"count": 1}),
        )
        .await
        .json()
        .await
        .unwrap();
    let job = canaries["ids"][0].as_str().expect("a job id").to_owned();
    loop {
        let event = next_event(&mut socket).await.expect("open");
        if event["type"] == "job.succeeded" && event["job_id"] == job.as_str() {
            break;
        }
    }
}

/// `rediss://`: a server reaches a Redis that speaks only TLS, trusting its CA through
/// `SSL_CERT_FILE`, and uses it for coordination (`/ready` and the bus's gauge say so).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coordination_works_over_tls() {
    let redis = hearth_testkit::deployment::RedisTls::start().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data").display().to_string();
    let ca = redis.ca_file().display().to_string();
    let env = [
        ("HOST", "127.0.0.1".to_owned()),
        ("PORT", "0".to_owned()),
        ("DATA_DIR", data),
        ("REDIS_URL", redis.url()),
        ("SSL_CERT_FILE", ca),
    ]
    .map(|(k, v)| (k.to_owned(), v));
    let mut server = hearth_testkit::deployment::Process::spawn(
        env!("CARGO_BIN_EXE_hearth").as_ref(),
        &["serve"],
        &env,
        dir.path(),
    );
    let base = server.base_url().await;
    let http = hearth_testkit::http_client();
    let ready: Value = http
        .get(format!("{base}/ready"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["checks"]["coordination"], "ok", "{ready}");
    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("hearth_coordination_connected 1"),
        "{metrics}"
    );
    // Sign-ups and their events cross the TLS connection like any other.
    let user = Client::sign_up(&base, "tls@example.org").await;
    let mut socket = user.socket(&base, None).await;
    let hello = next_event(&mut socket).await.unwrap();
    assert_eq!(hello["type"], "hello");
    assert!(
        hello["last_event_id"].is_u64(),
        "the replay log answered over TLS: {hello}"
    );
    server.kill().await;
}
