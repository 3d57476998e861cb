//! `replicas`: a scaled-out Hearth — three `hearth serve` replicas and one `hearth worker` on
//! PostgreSQL with pgvector, Redis and S3 (`hearth_testkit::deployment`, the harness the scale-out
//! tests use) — measured where replicas meet:
//!
//! - cross-replica event latency: an answer streamed by replica A (from the fake model server,
//!   whose pieces carry the time they left it) as seen by a WebSocket on replica C, beside the same
//!   pieces as A's own SSE response relays them to the asking client;
//! - the floor under it: a message from one process's bus to another's through Redis;
//! - revocation propagation: from a sign-out answered by A to the first refusal by C, which had
//!   validated (and cached) the session just before. The reference system without Redis never
//!   revokes (tokens stay valid until they expire, four weeks by default); with it, its guide
//!   promises no figure.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use hearth_core::seams::Coordinator;
use hearth_redis::{RedisBus, RedisTarget};
use hearth_testkit::deployment::{Deployment, DeploymentOptions};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::Table;
use crate::report::Compare;
use crate::servers::{Binary, Server};

const S: &str = "replicas";

/// Answers streamed for the latency measurement, and pieces per answer.
const ANSWERS: usize = 20;
const PIECES: &str = "100";

/// Sign-outs timed.
const REVOCATIONS: usize = 50;

/// Messages timed through Redis alone.
const BUS_MESSAGES: usize = 2_000;

fn unix_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// The latencies (µs) of the stamped pieces `t<micros> ` in `text`, as of `now`.
fn record_stamps(text: &str, now: u64, into: &mut Histogram<u64>) {
    for piece in text.split_whitespace() {
        if let Some(stamp) = piece.strip_prefix('t').and_then(|t| t.parse::<u64>().ok()) {
            let _ = into.record(now.saturating_sub(stamp).max(1));
        }
    }
}

fn ms(histogram: &Histogram<u64>, quantile: f64) -> f64 {
    histogram.value_at_quantile(quantile) as f64 / 1000.0
}

pub(crate) async fn run(table: &mut Table) -> Result<()> {
    let fake = Server::start(
        Binary::FakeLlm,
        &[],
        &[
            "--tokens".into(),
            PIECES.into(),
            "--token-delay-ms".into(),
            "5".into(),
            "--stamp".into(),
        ],
    )
    .await?;
    let fake_url = format!("http://{}/v1", fake.addr);
    let options = DeploymentOptions {
        env: vec![
            ("OPENAI_API_BASE_URLS".into(), fake_url),
            ("OPENAI_API_KEYS".into(), "sk-fake".into()),
            ("ENABLE_TITLE_GENERATION".into(), "false".into()),
        ],
        ..DeploymentOptions::default()
    };
    let binary: PathBuf = Binary::Hearth.path()?;
    let deployment = Deployment::start(&binary, options).await;
    let (a, b, c) = (deployment.url(0), deployment.url(1), deployment.url(2));
    let http = hearth_testkit::http_client();
    let token = sign_up(&http, a, "bench@example.org").await?;

    let (same, across) = stream_latencies(&http, &token, a, c).await?;
    table.push(
        S,
        "streamed piece, model server → WebSocket on another replica, p50 (beside A's own SSE)",
        "ms",
        ms(&across, 0.5),
        Some(ms(&same, 0.5)),
        Compare::Added,
    );
    table.push(
        S,
        "streamed piece, model server → WebSocket on another replica, p99 (beside A's own SSE)",
        "ms",
        ms(&across, 0.99),
        Some(ms(&same, 0.99)),
        Compare::Added,
    );
    let bus = bus_latencies(&deployment.redis.url()).await?;
    table.push(
        S,
        "one message between two processes' buses through Redis, p50",
        "ms",
        ms(&bus, 0.5),
        None,
        Compare::None,
    );
    table.push(
        S,
        "one message between two processes' buses through Redis, p99",
        "ms",
        ms(&bus, 0.99),
        None,
        Compare::None,
    );
    let revocations = revocation_times(&http, a, b, c).await?;
    table.push(
        S,
        "sign-out on A → refused on C (which had the session cached), p50",
        "ms",
        ms(&revocations, 0.5),
        None,
        Compare::None,
    );
    table.push(
        S,
        "sign-out on A → refused on C (which had the session cached), max",
        "ms",
        revocations.max() as f64 / 1000.0,
        None,
        Compare::None,
    );
    drop(deployment);
    drop(fake);
    Ok(())
}

async fn sign_up(http: &reqwest::Client, base: &str, email: &str) -> Result<String> {
    let body: Value = http
        .post(format!("{base}/api/v1/auths/signup"))
        .json(&json!({"email": email, "password": "a-long-password"}))
        .send()
        .await?
        .json()
        .await?;
    Ok(body["token"].as_str().context("a token")?.to_owned())
}

/// Streams [`ANSWERS`] answers through `a` into chats while a WebSocket on `c` follows them:
/// (latencies on A's SSE, latencies on C's WebSocket), in µs.
async fn stream_latencies(
    http: &reqwest::Client,
    token: &str,
    a: &str,
    c: &str,
) -> Result<(Histogram<u64>, Histogram<u64>)> {
    let models: Value = http
        .get(format!("{a}/api/models"))
        .bearer_auth(token)
        .send()
        .await?
        .json()
        .await?;
    let model = models["data"][0]["id"]
        .as_str()
        .context("a model")?
        .to_owned();
    let url = format!(
        "{}/api/v1/realtime/ws?token={token}",
        c.replacen("http", "ws", 1)
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await?;
    let (mut same, mut across) = (Histogram::new(3)?, Histogram::new(3)?);
    for _ in 0..ANSWERS {
        let chat: Value = http
            .post(format!("{a}/api/v1/chats"))
            .bearer_auth(token)
            .json(&json!({"title": "bench"}))
            .send()
            .await?
            .json()
            .await?;
        let chat = chat["id"].as_str().context("a chat")?.to_owned();
        let response = http
            .post(format!("{a}/api/chat/completions"))
            .bearer_auth(token)
            .json(&json!({"model": model, "chat_id": chat, "stream": true,
                          "messages": [{"role": "user", "content": "Go"}]}))
            .send()
            .await?;
        if !response.status().is_success() {
            bail!("completion answered {}", response.status());
        }
        let mut body = response.bytes_stream();
        let sse = async {
            let mut pending = String::new();
            while let Some(bytes) = body.next().await {
                let now = unix_micros();
                pending.push_str(&String::from_utf8_lossy(&bytes?));
                while let Some(end) = pending.find('\n') {
                    let line: String = pending.drain(..=end).collect();
                    if let Some(data) = line.trim().strip_prefix("data: ")
                        && let Ok(chunk) = serde_json::from_str::<Value>(data)
                        && let Some(text) = chunk["choices"][0]["delta"]["content"].as_str()
                    {
                        record_stamps(text, now, &mut same);
                    }
                }
            }
            anyhow::Ok(())
        };
        let websocket = async {
            loop {
                let Some(message) = socket.next().await else {
                    bail!("the WebSocket closed");
                };
                let now = unix_micros();
                match message? {
                    Message::Text(text) => {
                        let event: Value = serde_json::from_str(&text)?;
                        match event["type"].as_str() {
                            Some("chat.delta") if event["chat_id"] == chat.as_str() => {
                                record_stamps(
                                    event["content"].as_str().unwrap_or(""),
                                    now,
                                    &mut across,
                                );
                            }
                            Some("chat.done") if event["chat_id"] == chat.as_str() => return Ok(()),
                            _ => {}
                        }
                    }
                    Message::Ping(payload) => socket.send(Message::Pong(payload)).await?,
                    _ => {}
                }
            }
        };
        let (relayed, followed) = tokio::join!(sse, websocket);
        relayed?;
        followed?;
    }
    Ok((same, across))
}

/// [`BUS_MESSAGES`] messages from one bus to another (two connections, as two processes), in µs.
async fn bus_latencies(redis_url: &str) -> Result<Histogram<u64>> {
    let target = RedisTarget::url(redis_url);
    let prefix = hearth_testkit::unique_prefix();
    let sender = RedisBus::connect(&target, &prefix).await?;
    let receiver = RedisBus::connect(&target, &prefix).await?;
    let mut messages = receiver.subscribe("bench").await?;
    let mut histogram = Histogram::new(3)?;
    for _ in 0..BUS_MESSAGES {
        let sent = Instant::now();
        sender.publish("bench", Bytes::from_static(b"x")).await?;
        messages.next().await.context("a message")?;
        histogram.record(u64::try_from(sent.elapsed().as_micros())?.max(1))?;
    }
    Ok(histogram)
}

/// [`REVOCATIONS`] sign-outs on `a` timed until `c` refuses the session, in µs.
async fn revocation_times(
    http: &reqwest::Client,
    a: &str,
    b: &str,
    c: &str,
) -> Result<Histogram<u64>> {
    let email = "revoked@example.org";
    sign_up(http, b, email).await?;
    let mut histogram = Histogram::new(3)?;
    for _ in 0..REVOCATIONS {
        let session: Value = http
            .post(format!("{b}/api/v1/auths/signin"))
            .json(&json!({"email": email, "password": "a-long-password"}))
            .send()
            .await?
            .json()
            .await?;
        let token = session["token"].as_str().context("a token")?.to_owned();
        let me = |base: &str| {
            http.get(format!("{base}/api/v1/auths"))
                .bearer_auth(&token)
                .send()
        };
        if !me(c).await?.status().is_success() {
            bail!("C refused a fresh session");
        }
        let signed_out = http
            .post(format!("{a}/api/v1/auths/signout"))
            .bearer_auth(&token)
            .send()
            .await?;
        let answered = Instant::now();
        if !signed_out.status().is_success() {
            bail!("sign-out answered {}", signed_out.status());
        }
        // Bounded: a revocation that takes longer than ten seconds fails the benchmark.
        while me(c).await?.status().is_success() {
            if answered.elapsed() > Duration::from_secs(10) {
                bail!("C still accepted a revoked session after 10 s");
            }
        }
        histogram.record(u64::try_from(answered.elapsed().as_micros())?.max(1))?;
    }
    Ok(histogram)
}
