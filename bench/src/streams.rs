//! Streaming chat completions under load: time to first token, per-chunk latency (from pieces the
//! fake stamps as they leave it), streams per second, and streams held open at once.
//!
//! Clients speak HTTP/1.1 with one keep-alive connection per concurrent stream, as SDKs do; holding
//! thousands of streams uses HTTP/2 (many streams per connection), as browsers behind a proxy do.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};

/// Where streams go.
#[derive(Clone, Debug)]
pub(crate) struct StreamTarget {
    pub(crate) addr: String,
    pub(crate) path: String,
    pub(crate) bearer: Option<String>,
    pub(crate) model: String,
    /// The whole text each stream must deliver; a stream that delivers anything else counts as
    /// an error (so a fast, incomplete stream cannot win).
    pub(crate) expect: Option<String>,
}

impl StreamTarget {
    fn request(&self) -> Result<Request<Full<Bytes>>> {
        let body = serde_json::json!({"model": self.model, "messages": [{"role": "user", "content": "Tell me something."}], "stream": true});
        let mut request = Request::post(&self.path)
            .header("host", &self.addr)
            .header("content-type", "application/json");
        if let Some(bearer) = &self.bearer {
            request = request.header("authorization", format!("Bearer {bearer}"));
        }
        Ok(request.body(Full::new(Bytes::from(body.to_string())))?)
    }
}

/// A connection that can carry streams.
#[derive(Clone)]
enum Sender {
    H1(std::sync::Arc<tokio::sync::Mutex<http1::SendRequest<Full<Bytes>>>>),
    H2(http2::SendRequest<Full<Bytes>>),
}

impl Sender {
    async fn connect(addr: &str, h2: bool) -> Result<Self> {
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .context("connect")?;
        stream.set_nodelay(true)?;
        let io = TokioIo::new(stream);
        if h2 {
            let (sender, connection) = http2::handshake(TokioExecutor::new(), io).await?;
            tokio::spawn(connection);
            Ok(Sender::H2(sender))
        } else {
            let (sender, connection) = http1::handshake(io).await?;
            tokio::spawn(connection);
            Ok(Sender::H1(std::sync::Arc::new(tokio::sync::Mutex::new(
                sender,
            ))))
        }
    }

    async fn send(&self, request: Request<Full<Bytes>>) -> Result<hyper::Response<Incoming>> {
        Ok(match self {
            Sender::H1(sender) => {
                let mut sender = sender.lock().await;
                sender.ready().await?;
                sender.send_request(request).await?
            }
            Sender::H2(sender) => {
                let mut sender = sender.clone();
                sender.ready().await?;
                sender.send_request(request).await?
            }
        })
    }
}

/// What one stream measured.
#[derive(Debug, Default)]
struct StreamOutcome {
    first_token: Option<Duration>,
    /// Microseconds from a stamped piece leaving the fake to its arrival here.
    chunk_latencies: Vec<u64>,
    complete: bool,
    text: String,
}

/// Sends one streamed request and reads it to the end.
async fn stream_once(sender: &Sender, target: &StreamTarget) -> Result<StreamOutcome> {
    let started = Instant::now();
    let response = sender.send(target.request()?).await?;
    if !response.status().is_success() {
        bail!("status {}", response.status());
    }
    let mut body = response.into_body();
    let mut buffer = Vec::new();
    let mut outcome = StreamOutcome::default();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        let arrived = fake_clock_micros();
        buffer.extend_from_slice(&data);
        while let Some(end) = find(&buffer, b"\n\n") {
            let event: Vec<u8> = buffer.drain(..end + 2).collect();
            let Some(payload) = event.strip_prefix(b"data: ") else {
                continue;
            };
            let payload = payload.trim_ascii_end();
            if payload == b"[DONE]" {
                outcome.complete = true;
                return Ok(outcome);
            }
            let chunk: serde_json::Value = serde_json::from_slice(payload)?;
            if chunk.get("error").is_some() {
                bail!("error event: {chunk}");
            }
            let Some(content) = chunk["choices"][0]["delta"]["content"]
                .as_str()
                .filter(|c| !c.is_empty())
            else {
                continue;
            };
            outcome.first_token.get_or_insert_with(|| started.elapsed());
            outcome.text.push_str(content);
            if let Some(sent) = content
                .trim()
                .strip_prefix('t')
                .and_then(|t| t.parse::<u128>().ok())
            {
                outcome
                    .chunk_latencies
                    .push(arrived.saturating_sub(sent) as u64);
            }
        }
    }
    Ok(outcome)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn fake_clock_micros() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros())
}

/// Longest one measured stream may take before it counts as failed.
const STREAM_TIMEOUT: Duration = Duration::from_secs(60);

/// Measurements of a closed loop of streams.
#[derive(Debug, Default)]
pub(crate) struct LoopResult {
    pub(crate) streams_per_second: f64,
    pub(crate) errors: u64,
    pub(crate) first_token_p50_ms: f64,
    pub(crate) first_token_p99_ms: f64,
    pub(crate) chunk_p50_ms: f64,
    pub(crate) chunk_p99_ms: f64,
}

/// `concurrency` clients, each starting its next stream when the previous one ends, for `duration`
/// (or `count` streams in all, when given).
pub(crate) async fn closed_loop(
    target: &StreamTarget,
    concurrency: usize,
    duration: Duration,
    count: Option<usize>,
) -> Result<LoopResult> {
    let started = Instant::now();
    let deadline = started + duration;
    let remaining = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(
        count.map_or(i64::MAX, |c| c as i64),
    ));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (target, remaining) = (target.clone(), remaining.clone());
        tasks.push(tokio::spawn(async move {
            let mut sender = Sender::connect(&target.addr, false).await?;
            let mut first = Vec::new();
            let mut chunks = Vec::new();
            let mut errors = 0u64;
            while Instant::now() < deadline
                && remaining.fetch_sub(1, std::sync::atomic::Ordering::SeqCst) > 0
            {
                // A stream that stalls counts as an error instead of stalling the measurement.
                let outcome = tokio::time::timeout(STREAM_TIMEOUT, stream_once(&sender, &target))
                    .await
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("no end within {STREAM_TIMEOUT:?}")));
                // A request that never left because the server had just closed the connection
                // (Open WebUI closes it after each streamed answer) is retried on a fresh one, not
                // counted: a browser would simply open another.
                if let Err(error) = &outcome
                    && error
                        .downcast_ref::<hyper::Error>()
                        .is_some_and(|e| e.is_closed() || e.is_canceled())
                {
                    sender = Sender::connect(&target.addr, false).await?;
                    continue;
                }
                match outcome {
                    Ok(outcome)
                        if outcome.complete
                            && target
                                .expect
                                .as_ref()
                                .is_none_or(|text| *text == outcome.text) =>
                    {
                        first.extend(outcome.first_token.map(|d| d.as_micros() as u64));
                        chunks.extend(outcome.chunk_latencies);
                    }
                    failure => {
                        if errors == 0 {
                            let why = match failure {
                                Ok(outcome) if !outcome.complete => "no [DONE]".to_owned(),
                                Ok(outcome) => format!("the text differs: {:?}", outcome.text),
                                Err(error) => format!("{error:#}"),
                            };
                            eprintln!("{}: a stream failed: {why}", target.addr);
                        }
                        errors += 1;
                        // The connection may be mid-answer; the next stream gets a fresh one.
                        sender = Sender::connect(&target.addr, false).await?;
                    }
                }
            }
            anyhow::Ok((first, chunks, errors))
        }));
    }
    let mut first = Vec::new();
    let mut chunks = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (f, c, e) = task.await??;
        first.extend(f);
        chunks.extend(c);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    Ok(LoopResult {
        streams_per_second: first.len() as f64 / elapsed,
        errors,
        first_token_p50_ms: percentile(&mut first, 0.50),
        first_token_p99_ms: percentile(&mut first, 0.99),
        chunk_p50_ms: percentile(&mut chunks, 0.50),
        chunk_p99_ms: percentile(&mut chunks, 0.99),
    })
}

/// Milliseconds at quantile `q` of microsecond samples.
fn percentile(samples: &mut [u64], q: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    samples.sort_unstable();
    let index = ((samples.len() as f64 - 1.0) * q).round() as usize;
    samples[index] as f64 / 1000.0
}

/// Reads a stream for as long as it lasts, reporting its first piece.
async fn held_stream(
    sender: &Sender,
    target: &StreamTarget,
    first: tokio::sync::mpsc::UnboundedSender<()>,
) -> Result<()> {
    let response = sender.send(target.request()?).await?;
    if !response.status().is_success() {
        bail!("status {}", response.status());
    }
    let mut body = response.into_body();
    let mut reported = false;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        if !reported && find(&data, b"\"content\":\"").is_some() {
            reported = true;
            let _ = first.send(());
        }
    }
    bail!("the stream ended while it was held")
}

/// Streams held open at once, and the memory of the process relaying them.
#[derive(Debug)]
pub(crate) struct HoldResult {
    /// (streams open, RSS in MiB), ramping up.
    pub(crate) levels: Vec<(usize, f64)>,
    /// RSS after holding the last level for `hold`.
    pub(crate) rss_after_hold: f64,
    /// Streams that had received their first piece when counted.
    pub(crate) alive: usize,
    /// RSS after every stream was closed.
    pub(crate) rss_after_close: f64,
}

/// Opens streams over HTTP/2 (`per_connection` to a connection) up to each level, measuring the RSS
/// of `pid`; then holds the last level for `hold` and closes everything.
pub(crate) async fn hold(
    target: &StreamTarget,
    levels: &[usize],
    per_connection: usize,
    hold: Duration,
    pid: u32,
    h2: bool,
) -> Result<HoldResult> {
    let mut senders: Vec<Sender> = Vec::new();
    let mut streams: Vec<tokio::task::JoinHandle<Result<()>>> = Vec::new();
    let (tx, mut first_pieces) = tokio::sync::mpsc::unbounded_channel::<()>();
    let mut measured = Vec::new();
    let mut alive = 0;
    for &level in levels {
        while streams.len() < level {
            // Open a batch, then wait for every stream of it to receive its first piece: the measure
            // is how many streams Hearth holds, not how fast it accepts a stampede.
            let batch_end = (streams.len() + 250).min(level);
            while streams.len() < batch_end {
                if streams.len() / per_connection >= senders.len() {
                    senders.push(Sender::connect(&target.addr, h2).await?);
                }
                let sender = senders[streams.len() / per_connection].clone();
                let (target, tx) = (target.clone(), tx.clone());
                streams.push(tokio::spawn(async move {
                    held_stream(&sender, &target, tx).await
                }));
            }
            while alive < streams.len() {
                if tokio::time::timeout(Duration::from_secs(60), first_pieces.recv())
                    .await
                    .is_err()
                {
                    let mut reasons = std::collections::BTreeMap::<String, usize>::new();
                    for stream in streams.iter_mut().filter(|s| s.is_finished()) {
                        let reason = match stream.await {
                            Ok(Err(error)) => format!("{error:#}"),
                            other => format!("{other:?}"),
                        };
                        *reasons.entry(reason).or_default() += 1;
                    }
                    bail!(
                        "only {alive} of {} streams received a first piece; ended streams: {reasons:?}",
                        streams.len()
                    );
                }
                alive += 1;
            }
        }
        measured.push((level, crate::servers::rss_mib(pid)?));
        eprintln!(
            "hold: {level} streams open, RSS {:.1} MiB",
            measured.last().map_or(0.0, |m| m.1)
        );
    }
    tokio::time::sleep(hold).await;
    let rss_after_hold = crate::servers::rss_mib(pid)?;
    let finished = streams.iter().filter(|s| s.is_finished()).count();
    if finished > 0 {
        bail!("{finished} streams ended while held");
    }
    for stream in &streams {
        stream.abort();
    }
    drop(senders);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_after_close = crate::servers::rss_mib(pid)?;
    Ok(HoldResult {
        levels: measured,
        rss_after_hold,
        alive,
        rss_after_close,
    })
}
