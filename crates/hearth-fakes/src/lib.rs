//! A fake model server for tests and benchmarks, speaking both wire formats Hearth talks to:
//! OpenAI's (`GET /v1/models`, `POST /v1/chat/completions` with SSE framing, a usage chunk and
//! `data: [DONE]`, `POST /v1/embeddings`) and Ollama's (`GET /api/tags`, `POST /api/chat` with
//! NDJSON, `POST /api/embed`). Its embeddings are hashed bags of words ([`fake_embedding`]):
//! deterministic, and texts sharing words are near each other.
//!
//! Doubles are allowed only for paid external APIs; this one reproduces the real framing and lets a
//! test choose the answer, its pace and its failures, and observe what happened (requests received,
//! streams finished, streams cancelled by the client, the last request body).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use futures::Stream;
use serde_json::{Value, json};

/// How the fake answers. Change it at any time through [`FakeServer::configure`].
#[derive(Clone, Debug)]
pub struct FakeConfig {
    /// Model ids offered by `/v1/models` and `/api/tags`.
    pub models: Vec<String>,
    /// The answer's pieces, streamed one per chunk. Defaults to `tok0 tok1 …`.
    pub reply: Vec<String>,
    /// Pause before the first piece.
    pub first_token_delay: Duration,
    /// Pause between pieces.
    pub token_delay: Duration,
    pub failure: Failure,
    /// Bearer key the OpenAI side insists on, if any.
    pub required_key: Option<String>,
    /// Replace each piece by `t<microseconds since the epoch> `, taken as it is sent, so a client can
    /// measure how long each chunk took to reach it.
    pub stamp: bool,
}

/// A way to fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    None,
    /// Answer every chat request with this status and an error body.
    Status(u16, String),
    /// Send a chunk that is not JSON after `after` good pieces.
    InvalidJson {
        after: usize,
    },
    /// Close the stream without `[DONE]` after `after` pieces.
    Drop {
        after: usize,
    },
    /// Never answer chat requests.
    Hang,
}

impl Default for FakeConfig {
    fn default() -> Self {
        Self {
            models: vec!["fake-model".into(), "fake-model-2".into()],
            reply: tokens(8),
            first_token_delay: Duration::ZERO,
            token_delay: Duration::ZERO,
            failure: Failure::None,
            required_key: None,
            stamp: false,
        }
    }
}

/// `n` pieces: `tok0 `, `tok1 `, …
pub fn tokens(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("tok{i} ")).collect()
}

/// What the fake has seen.
#[derive(Debug, Default)]
pub struct FakeStats {
    pub chat_requests: AtomicU64,
    /// Streams that sent every piece.
    pub completed: AtomicU64,
    /// Streams whose client went away before the end.
    pub cancelled: AtomicU64,
    pub model_list_requests: AtomicU64,
    pub last_request: Mutex<Option<Value>>,
    /// Embedding requests received (both APIs), failed ones included.
    pub embedding_requests: AtomicU64,
    /// How many texts each successful embedding request carried, in order.
    pub embedding_batches: Mutex<Vec<usize>>,
    /// The bearer token of the last embedding request.
    pub embedding_authorization: Mutex<Option<String>>,
}

impl FakeStats {
    pub fn chat_requests(&self) -> u64 {
        self.chat_requests.load(Ordering::SeqCst)
    }

    pub fn completed(&self) -> u64 {
        self.completed.load(Ordering::SeqCst)
    }

    pub fn cancelled(&self) -> u64 {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// The body of the last chat request.
    pub fn last_request(&self) -> Option<Value> {
        self.last_request.lock().expect("stats lock").clone()
    }

    pub fn embedding_requests(&self) -> u64 {
        self.embedding_requests.load(Ordering::SeqCst)
    }

    pub fn embedding_batches(&self) -> Vec<usize> {
        self.embedding_batches.lock().expect("stats lock").clone()
    }
}

/// Dimensions of the fake's embeddings.
pub const FAKE_EMBEDDING_DIMENSIONS: usize = 64;

/// The fake's embedding of `text`: each lower-cased word adds 1 to one of 64 dimensions chosen by
/// a hash of it (FNV-1a), not normalised (clients normalise).
pub fn fake_embedding(text: &str) -> Vec<f32> {
    let mut vector = vec![0f32; FAKE_EMBEDDING_DIMENSIONS];
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let hash = word
            .to_lowercase()
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            });
        vector[(hash % FAKE_EMBEDDING_DIMENSIONS as u64) as usize] += 1.0;
    }
    vector
}

#[derive(Clone)]
struct Shared {
    /// Shared, not copied, by every request: an answer may have a hundred thousand pieces.
    config: Arc<Mutex<Arc<FakeConfig>>>,
    stats: Arc<FakeStats>,
    /// The next embedding requests to fail, and with which status.
    embedding_failures: Arc<Mutex<(u32, u16)>>,
}

/// A running fake server.
#[derive(Clone)]
pub struct FakeServer {
    pub addr: SocketAddr,
    shared: Shared,
}

impl std::fmt::Debug for FakeServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl FakeServer {
    /// Starts a server on `127.0.0.1:port` (`0` picks a free port) in the current runtime.
    pub async fn start(config: FakeConfig, port: u16) -> std::io::Result<Self> {
        // A deep accept queue: benchmarks open thousands of streams in bursts.
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.set_reuseaddr(true)?;
        socket.bind(std::net::SocketAddr::from(([127, 0, 0, 1], port)))?;
        let listener = socket.listen(4096)?;
        let addr = listener.local_addr()?;
        let shared = Shared {
            config: Arc::new(Mutex::new(Arc::new(config))),
            stats: Arc::default(),
            embedding_failures: Arc::default(),
        };
        let app = router(shared.clone());
        let listener =
            axum::serve::ListenerExt::tap_io(listener, |tcp: &mut tokio::net::TcpStream| {
                let _ = tcp.set_nodelay(true);
            });
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Self { addr, shared })
    }

    /// `http://127.0.0.1:PORT/v1`, the base URL of the OpenAI side.
    pub fn openai_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// `http://127.0.0.1:PORT`, the base URL of the Ollama side.
    pub fn ollama_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Changes how the server answers from now on.
    pub fn configure(&self, change: impl FnOnce(&mut FakeConfig)) {
        let mut current = self.shared.config.lock().expect("config lock");
        change(Arc::make_mut(&mut current));
    }

    pub fn stats(&self) -> &FakeStats {
        &self.shared.stats
    }

    /// Answers the next `count` embedding requests with `status` (and an error body).
    pub fn fail_next_embeddings(&self, count: u32, status: u16) {
        *self
            .shared
            .embedding_failures
            .lock()
            .expect("failures lock") = (count, status);
    }
}

fn router(shared: Shared) -> Router {
    Router::new()
        .route("/v1/models", get(openai_models))
        .route("/v1/chat/completions", post(openai_chat))
        .route("/api/tags", get(ollama_tags))
        .route("/api/chat", post(ollama_chat))
        .route("/v1/embeddings", post(openai_embeddings))
        .route("/api/embed", post(ollama_embed))
        // Real model servers take long histories and images.
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(shared)
}

fn config(shared: &Shared) -> Arc<FakeConfig> {
    shared.config.lock().expect("config lock").clone()
}

fn error(status: u16, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        Json(json!({"error": {"message": message, "type": "fake_error"}})),
    )
        .into_response()
}

fn authorised(config: &FakeConfig, headers: &HeaderMap) -> bool {
    let Some(required) = &config.required_key else {
        return true;
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    presented == Some(format!("Bearer {required}").as_str())
}

async fn openai_models(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    shared
        .stats
        .model_list_requests
        .fetch_add(1, Ordering::SeqCst);
    let config = config(&shared);
    if !authorised(&config, &headers) {
        return error(401, "invalid api key");
    }
    let data: Vec<Value> = config
        .models
        .iter()
        .map(|id| json!({"id": id, "object": "model", "created": 0, "owned_by": "fake"}))
        .collect();
    Json(json!({"object": "list", "data": data})).into_response()
}

/// How a stream ended, for the counters: a client that went away is a cancellation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ending {
    Running,
    Completed,
    /// The server ended it on purpose (a configured failure).
    Failed,
}

/// Counts a stream as completed or cancelled when it ends or is dropped.
struct StreamGuard {
    stats: Arc<FakeStats>,
    ending: Ending,
}

impl StreamGuard {
    fn end(&mut self, ending: Ending) {
        self.ending = ending;
    }
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        let counter = match self.ending {
            Ending::Completed => &self.stats.completed,
            Ending::Running => &self.stats.cancelled,
            Ending::Failed => return,
        };
        counter.fetch_add(1, Ordering::SeqCst);
    }
}

/// The pieces of an answer, paced and failed as configured; `frame` turns each event into bytes.
fn paced<F>(
    config: Arc<FakeConfig>,
    stats: Arc<FakeStats>,
    frame: F,
) -> impl Stream<Item = Result<Bytes, Infallible>> + Send
where
    F: Fn(Event<'_>) -> Bytes + Send + Sync + 'static,
{
    let guard = StreamGuard {
        stats,
        ending: Ending::Running,
    };
    futures::stream::unfold(
        (0usize, guard, config, frame),
        |(index, mut guard, config, frame)| async move {
            if guard.ending != Ending::Running {
                return None;
            }
            let delay = if index == 0 {
                config.first_token_delay
            } else {
                config.token_delay
            };
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let bytes = match config.failure {
                Failure::Drop { after } if index == after => {
                    guard.end(Ending::Failed);
                    return None;
                }
                Failure::InvalidJson { after } if index == after => {
                    guard.end(Ending::Failed);
                    frame(Event::Garbage)
                }
                _ if index < config.reply.len() && config.stamp => {
                    let stamped = format!("t{} ", unix_micros());
                    frame(Event::Piece(index, &stamped))
                }
                _ if index < config.reply.len() => frame(Event::Piece(index, &config.reply[index])),
                _ => {
                    guard.end(Ending::Completed);
                    frame(Event::End(config.reply.len()))
                }
            };
            Some((Ok(bytes), (index + 1, guard, config, frame)))
        },
    )
}

/// Microseconds since the Unix epoch.
pub fn unix_micros() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros())
}

/// One step of an answer.
enum Event<'a> {
    Piece(usize, &'a str),
    /// The end, after this many pieces.
    End(usize),
    Garbage,
}

async fn openai_chat(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    shared.stats.chat_requests.fetch_add(1, Ordering::SeqCst);
    *shared.stats.last_request.lock().expect("stats lock") = Some(body.clone());
    let config = config(&shared);
    if !authorised(&config, &headers) {
        return error(401, "invalid api key");
    }
    let model = body["model"].as_str().unwrap_or_default().to_owned();
    if !config.models.contains(&model) {
        return error(404, &format!("model `{model}` does not exist"));
    }
    match &config.failure {
        Failure::Status(status, message) => return error(*status, message),
        Failure::Hang => {
            std::future::pending::<()>().await;
        }
        _ => {}
    }
    let id = format!("chatcmpl-{}", uuid::Uuid::now_v7().simple());
    if body["stream"] != Value::Bool(true) {
        let content: String = config.reply.concat();
        let (prompt, completion) = (12, config.reply.len());
        shared.stats.completed.fetch_add(1, Ordering::SeqCst);
        return Json(json!({
            "id": id, "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
        }))
        .into_response();
    }
    let include_usage = body["stream_options"]["include_usage"] == Value::Bool(true);
    let frame = move |event: Event<'_>| -> Bytes {
        let chunk = |delta: Value, finish: Value| {
            json!({"id": id, "object": "chat.completion.chunk", "created": 0, "model": model,
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
        };
        let text = match event {
            Event::Piece(0, piece) => sse(&chunk(
                json!({"role": "assistant", "content": piece}),
                Value::Null,
            )),
            Event::Piece(_, piece) => sse(&chunk(json!({"content": piece}), Value::Null)),
            Event::End(pieces) => {
                let mut text = sse(&chunk(json!({}), json!("stop")));
                if include_usage {
                    let usage = json!({"id": id, "object": "chat.completion.chunk", "created": 0, "model": model, "choices": [],
                                       "usage": {"prompt_tokens": 12, "completion_tokens": pieces, "total_tokens": 12 + pieces}});
                    text.push_str(&sse(&usage));
                }
                text.push_str("data: [DONE]\n\n");
                text
            }
            Event::Garbage => "data: {this is not json\n\n".to_owned(),
        };
        Bytes::from(text)
    };
    let stream = paced(config, shared.stats.clone(), frame);
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

/// The texts of an embedding request (`input`: one string or a list), after counting it, or the
/// error to answer with: a scheduled failure, a missing key, an unknown model or a bad body.
fn embedding_texts(
    shared: &Shared,
    headers: &HeaderMap,
    body: &Value,
) -> Result<Vec<String>, Box<Response>> {
    shared
        .stats
        .embedding_requests
        .fetch_add(1, Ordering::SeqCst);
    *shared
        .stats
        .embedding_authorization
        .lock()
        .expect("stats lock") = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    {
        let mut failures = shared.embedding_failures.lock().expect("failures lock");
        if failures.0 > 0 {
            failures.0 -= 1;
            return Err(Box::new(error(failures.1, "scheduled failure")));
        }
    }
    let config = config(shared);
    if !authorised(&config, headers) {
        return Err(Box::new(error(401, "invalid api key")));
    }
    let model = body["model"].as_str().unwrap_or_default();
    if !config.models.iter().any(|m| m == model) {
        return Err(Box::new(error(404, &format!("model '{model}' not found"))));
    }
    let texts: Option<Vec<String>> = match &body["input"] {
        Value::String(text) => Some(vec![text.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => None,
    };
    let texts =
        texts.ok_or_else(|| Box::new(error(400, "input must be a string or a list of strings")))?;
    shared
        .stats
        .embedding_batches
        .lock()
        .expect("stats lock")
        .push(texts.len());
    Ok(texts)
}

async fn openai_embeddings(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    embeddings(&shared, &headers, &body, |texts| {
        // Listed last to first with their indexes, as nothing in the API promises order.
        let data: Vec<Value> = texts
            .iter()
            .enumerate()
            .rev()
            .map(|(index, text)| json!({"object": "embedding", "index": index, "embedding": fake_embedding(text)}))
            .collect();
        json!({"object": "list", "model": body["model"], "data": data,
               "usage": {"prompt_tokens": texts.len(), "total_tokens": texts.len()}})
    })
}

async fn ollama_embed(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    embeddings(&shared, &headers, &body, |texts| {
        let embeddings: Vec<Vec<f32>> = texts.iter().map(|t| fake_embedding(t)).collect();
        json!({"model": body["model"], "embeddings": embeddings})
    })
}

/// An embedding request answered in one API's shape by `render`, or its error.
fn embeddings(
    shared: &Shared,
    headers: &HeaderMap,
    body: &Value,
    render: impl FnOnce(&[String]) -> Value,
) -> Response {
    match embedding_texts(shared, headers, body) {
        Ok(texts) => Json(render(&texts)).into_response(),
        Err(response) => *response,
    }
}

fn sse(value: &Value) -> String {
    format!("data: {value}\n\n")
}

async fn ollama_tags(State(shared): State<Shared>) -> Response {
    shared
        .stats
        .model_list_requests
        .fetch_add(1, Ordering::SeqCst);
    let models: Vec<Value> = config(&shared)
        .models
        .iter()
        .map(|name| json!({"name": name, "model": name, "modified_at": "2026-01-01T00:00:00Z", "size": 1}))
        .collect();
    Json(json!({"models": models})).into_response()
}

async fn ollama_chat(State(shared): State<Shared>, Json(body): Json<Value>) -> Response {
    shared.stats.chat_requests.fetch_add(1, Ordering::SeqCst);
    *shared.stats.last_request.lock().expect("stats lock") = Some(body.clone());
    let config = config(&shared);
    let model = body["model"].as_str().unwrap_or_default().to_owned();
    if !config.models.contains(&model) {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": format!("model '{model}' not found")})),
        )
            .into_response();
    }
    match &config.failure {
        Failure::Status(status, message) => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (status, Json(json!({"error": message}))).into_response();
        }
        Failure::Hang => std::future::pending::<()>().await,
        _ => {}
    }
    if body["stream"] == Value::Bool(false) {
        shared.stats.completed.fetch_add(1, Ordering::SeqCst);
        return Json(json!({
            "model": model, "created_at": "2026-01-01T00:00:00Z",
            "message": {"role": "assistant", "content": config.reply.concat()},
            "done": true, "done_reason": "stop", "prompt_eval_count": 12, "eval_count": config.reply.len()
        }))
        .into_response();
    }
    let frame = move |event: Event<'_>| -> Bytes {
        let line = match event {
            Event::Piece(_, piece) => json!({"model": model, "created_at": "2026-01-01T00:00:00Z",
                                             "message": {"role": "assistant", "content": piece}, "done": false}),
            Event::End(pieces) => json!({"model": model, "created_at": "2026-01-01T00:00:00Z",
                                         "message": {"role": "assistant", "content": ""}, "done": true, "done_reason": "stop",
                                         "prompt_eval_count": 12, "eval_count": pieces}),
            Event::Garbage => return Bytes::from_static(b"{not json\n"),
        };
        Bytes::from(format!("{line}\n"))
    };
    let stream = paced(config, shared.stats.clone(), frame);
    (
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(stream),
    )
        .into_response()
}
