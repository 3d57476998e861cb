//! Building and running the server: one builder used by `main` and by the tests.
//!
//! `build` connects the store, migrates (unless disabled), binds the listener and assembles the
//! middleware. `run_until_stopped` serves until the shutdown future resolves, then drains in-flight
//! requests for at most `HEARTH_SHUTDOWN_TIMEOUT`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;
use hearth_bus::LocalBus;
use hearth_config::{ConfigError, ContentExtractionEngine, JobQueueBackend, Settings, VectorDb};
use hearth_core::seams::Coordinator;
use hearth_core::time::unix_now;
use hearth_db::{DbError, Store};
use hearth_jobs::{Jobs, WorkerOptions, WorkerPool, builtin_registry, default_schedules};
use hearth_models::KeyCipher;
use hearth_redis::{RedisBus, RedisTarget};
use hearth_storage::{Drive, Limits};
use tokio::net::TcpListener;
use tower::Layer;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::normalize_path::NormalizePathLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::auth::ActivityRecorder;
use crate::auth::password::PasswordHasher;
use crate::auth::tokens::TokenService;
use crate::llm::ModelDirectory;
use crate::metrics::Metrics;
use crate::shared::SessionCache;
use crate::shared::rate_limit::RateLimiter;
use crate::state::Lifecycle;
use crate::tunables::Tunables;
use crate::{ApiError, AppState, routes};

/// How often expired sessions are deleted.
const SESSION_PURGE_INTERVAL: Duration = Duration::from_secs(3600);

/// Why the server could not start; each message is one line that says what to change.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Unsupported(String),
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(
        "the database schema is behind this version ({0} pending migration(s)) and ENABLE_DB_MIGRATIONS=false; run `hearth migrate` first"
    )]
    SchemaBehind(usize),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("CORS_ALLOW_ORIGIN: `{0}` is not a valid origin")]
    BadOrigin(String),
    #[error("cannot load the model connections: {0}")]
    Models(String),
    #[error(transparent)]
    Jobs(#[from] hearth_jobs::OpenError),
    #[error("cannot connect to Redis (REDIS_URL) for coordination: {0}")]
    Coordination(String),
    #[error(transparent)]
    Storage(#[from] hearth_storage::OpenStoreError),
    #[error("knowledge: {0}")]
    Knowledge(String),
}

/// What the host process provides beyond the settings.
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// An executable that serves `extract-child` (the `hearth` binary itself), so documents are
    /// parsed in resource-limited child processes. Without one they are parsed in-process on a
    /// guarded thread (for tests and embedding).
    pub extraction_helper: Option<std::path::PathBuf>,
    /// The web UI, served on every path the API does not claim (the binary embeds it; tests and
    /// embedders may go without).
    pub web_ui: Option<Router>,
}

/// What a process is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// The API (and in-process workers unless disabled).
    Serve,
    /// Job workers only.
    Worker,
}

/// A bound, ready-to-run server.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    /// The in-process workers, unless `HEARTH_INLINE_WORKER=false`.
    workers: Option<WorkerPool>,
}

impl Application {
    /// Builds the server from settings that already hold a secret key (see the binary's start-up).
    pub async fn build(settings: Settings) -> Result<Self, StartError> {
        Self::build_with(settings, BuildOptions::default()).await
    }

    /// [`Application::build`] with what the host provides.
    pub async fn build_with(settings: Settings, options: BuildOptions) -> Result<Self, StartError> {
        // Boxed, like the state below: building holds large futures (database, catalogue, queue).
        Box::pin(Self::build_role(settings, Role::Serve, options)).await
    }

    /// Builds a `hearth worker`: job workers, and an HTTP listener with only the probes (`/health`,
    /// `/ready`, `/metrics`) for orchestrators and autoscalers.
    pub async fn build_worker(settings: Settings) -> Result<Self, StartError> {
        Self::build_worker_with(settings, BuildOptions::default()).await
    }

    /// [`Application::build_worker`] with what the host provides.
    pub async fn build_worker_with(
        settings: Settings,
        options: BuildOptions,
    ) -> Result<Self, StartError> {
        Box::pin(Self::build_role(settings, Role::Worker, options)).await
    }

    async fn build_role(
        settings: Settings,
        role: Role,
        options: BuildOptions,
    ) -> Result<Self, StartError> {
        check_supported(&settings)?;
        let target = settings.database_target()?;
        let store = Store::connect(&target, &settings.database).await?;
        if settings.database.enable_db_migrations {
            let report = store.migrate().await?;
            if report.applied.is_empty() {
                tracing::info!(
                    backend = store.backend_name(),
                    "database schema is up to date"
                );
            } else {
                tracing::info!(backend = store.backend_name(), applied = ?report.applied, "applied {} migration(s)", report.applied.len());
            }
        } else {
            let pending = store.pending_migrations().await?;
            if !pending.is_empty() {
                return Err(StartError::SchemaBehind(pending.len()));
            }
        }
        let web_ui = options.web_ui.clone();
        let state = build_state(settings, store, options).await?;
        let addr = format!("{}:{}", state.settings.core.host, state.settings.core.port);
        let listener = bind(&addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        let (router, run_workers) = match role {
            Role::Serve => (
                routes::router_with_ui(state.clone(), web_ui),
                state.settings.core.hearth_inline_worker,
            ),
            Role::Worker => (routes::probe_router(state.clone()), true),
        };
        let router = with_middleware(router, &state.settings)?;
        let workers = run_workers.then(|| worker_pool(&state));
        Ok(Self {
            listener,
            router,
            state,
            workers,
        })
    }

    /// The address actually bound (useful with `PORT=0`).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The shared state, for tests and background tasks.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then stops accepting, reports not-ready, and waits for
    /// in-flight requests for at most `HEARTH_SHUTDOWN_TIMEOUT`.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let Self {
            listener,
            router,
            state,
            workers,
        } = self;
        // Workers stop (finishing or releasing their jobs) as soon as shutdown begins, alongside
        // the draining requests.
        let (workers_stop_tx, workers_stop_rx) = tokio::sync::oneshot::channel::<()>();
        let workers = workers.map(WorkerPool::start);
        let workers_task = tokio::spawn(async move {
            if let Some(workers) = workers {
                let _ = workers_stop_rx.await;
                workers.shutdown().await;
            }
        });
        let grace = Duration::from_secs(state.settings.core.hearth_shutdown_timeout);
        let purge = tokio::spawn(purge_expired_sessions(state.store.clone()));
        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let lifecycle = state.lifecycle.clone();
        let signal = async move {
            shutdown.await;
            lifecycle.begin_shutdown();
            tracing::info!("shutting down: draining in-flight requests");
            let _ = stopping_tx.send(());
            let _ = workers_stop_tx.send(());
        };
        // Trailing slashes are trimmed before routing, so `/api/v1/auths/` and `/api/v1/auths` match.
        let service = NormalizePathLayer::trim_trailing_slash().layer(router);
        let service =
            axum::ServiceExt::<Request>::into_make_service_with_connect_info::<SocketAddr>(service);
        let server = axum::serve(listener.tap_io(no_delay), service).with_graceful_shutdown(signal);
        let deadline = async move {
            if stopping_rx.await.is_ok() {
                tokio::time::sleep(grace).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        let result = tokio::select! {
            result = server => result,
            () = deadline => {
                tracing::warn!(seconds = grace.as_secs(), "requests still running after the shutdown grace period; exiting anyway");
                Ok(())
            }
        };
        purge.abort();
        if let Err(error) = workers_task.await {
            tracing::warn!(%error, "the job workers did not stop cleanly");
        }
        state.store.clone().close().await;
        result
    }
}

/// Sends small writes (streamed tokens) at once instead of waiting, as Nagle's algorithm would, for
/// the client to acknowledge the previous one: with delayed ACKs that wait is tens of milliseconds.
fn no_delay(stream: &mut tokio::net::TcpStream) {
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "could not set TCP_NODELAY");
    }
}

/// Pending connections the kernel queues before the accept loop takes them. The usual 1,024 overflows
/// when bursts of clients connect while the cores are busy; dropped SYNs are retried after seconds.
const LISTEN_BACKLOG: u32 = 4096;

/// Binds `addr` (`host:port`, the host may be a name) with [`LISTEN_BACKLOG`].
async fn bind(addr: &str) -> std::io::Result<TcpListener> {
    let resolved = tokio::net::lookup_host(addr).await?.next().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::NotFound, "the host has no address")
    })?;
    let socket = if resolved.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(resolved)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Refuses backend selections this build does not implement yet, instead of silently ignoring them.
pub fn check_supported(settings: &Settings) -> Result<(), StartError> {
    /// `NAME=value` with the value spelled as in the environment.
    fn setting(name: &str, value: &impl serde::Serialize) -> String {
        let value = serde_json::to_value(value).ok();
        format!(
            "{name}={}",
            value.as_ref().and_then(|v| v.as_str()).unwrap_or("?")
        )
    }
    let mut unsupported = Vec::new();
    if settings.vector.vector_db == VectorDb::Qdrant {
        unsupported.push(setting("VECTOR_DB", &settings.vector.vector_db));
    }
    if settings.rag.content_extraction_engine == ContentExtractionEngine::Docling {
        unsupported.push(setting(
            "CONTENT_EXTRACTION_ENGINE",
            &settings.rag.content_extraction_engine,
        ));
    }
    if settings.observability.enable_otel {
        unsupported.push("ENABLE_OTEL=true".to_owned());
    }
    if settings.security.oauth_client_id.is_some() {
        unsupported.push("OAUTH_CLIENT_ID (single sign-on)".to_owned());
    }
    if unsupported.is_empty() {
        return Ok(());
    }
    Err(StartError::Unsupported(format!(
        "this build of Hearth does not include {} yet; unset {} to run on the embedded defaults",
        unsupported.join(", "),
        if unsupported.len() == 1 { "it" } else { "them" }
    )))
}

async fn build_state(
    settings: Settings,
    store: Store,
    options: BuildOptions,
) -> Result<AppState, StartError> {
    let secret = settings.core.hearth_secret_key.clone().ok_or_else(|| {
        StartError::Unsupported(
            "HEARTH_SECRET_KEY is not set (the binary generates one for SQLite)".into(),
        )
    })?;
    // Stored provider keys are encrypted with HEARTH_ENCRYPTION_KEY, or a key derived from the
    // secret key (with its own label, so the two keys are never the same bytes).
    let encryption_key = match &settings.core.hearth_encryption_key {
        Some(key) => key.expose().to_owned(),
        None => format!("hearth-encryption:{}", secret.expose()),
    };
    let models = ModelDirectory::load(&settings, store.clone(), KeyCipher::new(&encryption_key))
        .await
        .map_err(|e| StartError::Models(e.to_string()))?;
    let metrics = Arc::new(Metrics::new());
    let activity = ActivityRecorder::new(
        store.clone(),
        settings
            .database
            .database_user_active_status_update_interval,
        metrics.presence_writes.clone(),
    );
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let jobs = Jobs::new(hearth_jobs::open_queue(&settings, &store).await?);
    // Redis, when there is one, carries every coordination (see WEBSOCKET_MANAGER's doc).
    let bus: Arc<dyn Coordinator> = match RedisTarget::from_settings(&settings.redis) {
        None => Arc::new(LocalBus::new()),
        Some(target) => Arc::new(
            RedisBus::connect(&target, &settings.redis.redis_key_prefix)
                .await
                .map_err(|e| StartError::Coordination(e.to_string()))?,
        ),
    };
    let blobs = hearth_storage::open_blob_store(&settings.storage, &settings.core.data_dir)?;
    let drive = Drive::new(
        store.clone(),
        Arc::new(blobs),
        Limits::from_settings(&settings),
    )
    .with_metrics(metrics.drive.clone());
    let knowledge = open_knowledge(&settings, &store, &drive, &jobs, &bus, options).await?;
    let sessions = Arc::new(SessionCache::new(Duration::from_secs(
        settings.security.auth_session_cache_ttl,
    )));
    let models = Arc::new(models);
    let settings = Arc::new(settings);
    let tunables = Arc::new(Tunables::new(
        settings.clone(),
        store.clone(),
        drive.clone(),
        knowledge.clone(),
    ));
    tunables.reload().await?;
    tunables.keep_fresh();
    crate::shared::listen(&bus, &sessions, &models, &tunables)
        .await
        .map_err(|e| StartError::Coordination(e.to_string()))?;
    let rate_limiter = RateLimiter::new(&settings, bus.clone(), metrics.clone());
    Ok(AppState {
        sessions,
        rate_limiter,
        knowledge,
        drive,
        jobs,
        bus,
        tokens: Arc::new(TokenService::new(&secret, settings.core.jwt_expires_in.0)),
        passwords: PasswordHasher::new(cores),
        settings,
        tunables,
        store,
        metrics,
        activity,
        lifecycle: Lifecycle::default(),
        models,
    })
}

/// Request ids, tracing, panics as JSON 500s, CORS and the body limit, around the router.
fn with_middleware(router: Router, settings: &Settings) -> Result<Router, StartError> {
    let request_id = HeaderName::from_static("x-request-id");
    let trace = TraceLayer::new_for_http()
        .make_span_with(|request: &Request| {
            let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
        })
        // One line per request at DEBUG: at tens of thousands of requests a second, INFO access logs
        // would cost more than the requests. Failures are logged at ERROR by the error type.
        .on_response(DefaultOnResponse::new().level(Level::DEBUG))
        .on_request(())
        .on_failure(());
    let mut router = router
        .layer(axum::extract::DefaultBodyLimit::max(
            crate::json::MAX_JSON_BODY,
        ))
        .layer(CatchPanicLayer::custom(panic_response));
    if let Some(cors) = cors_layer(&settings.core.cors_allow_origin)? {
        router = router.layer(cors);
    }
    Ok(router
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(trace)
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid)))
}

fn cors_layer(origins: &[String]) -> Result<Option<CorsLayer>, StartError> {
    if origins.is_empty() {
        return Ok(None);
    }
    let base = CorsLayer::new()
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE]);
    if origins.iter().any(|o| o == "*") {
        return Ok(Some(base.allow_origin(Any)));
    }
    let parsed = origins
        .iter()
        .map(|o| HeaderValue::from_str(o).map_err(|_| StartError::BadOrigin(o.clone())))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(base.allow_origin(AllowOrigin::list(parsed))))
}

fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "unknown panic".into());
    ApiError::Internal(format!("handler panicked: {message}")).into_response()
}

/// Deletes expired sessions every hour; idempotent, so every replica may run it.
async fn purge_expired_sessions(store: Store) {
    let mut interval = tokio::time::interval(SESSION_PURGE_INTERVAL);
    loop {
        interval.tick().await;
        match store.purge_expired_sessions(unix_now()).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "deleted expired sessions"),
            Err(error) => tracing::warn!(%error, "could not delete expired sessions"),
        }
    }
}

/// The worker pool of a process: the built-in jobs' handlers and schedules, on the state's queue.
pub fn worker_pool(state: &AppState) -> WorkerPool {
    let settings = &state.settings;
    let mut registry = builtin_registry(
        state.store.clone(),
        state.jobs.queue().clone(),
        settings.jobs.job_retention.0,
    );
    hearth_storage::jobs::register(&mut registry, state.drive.clone());
    hearth_rag::jobs::register(&mut registry, state.knowledge.clone());
    crate::chat::sweep::register(&mut registry, state.store.clone(), state.bus.clone());
    let mut schedules = default_schedules();
    schedules.extend(hearth_storage::jobs::schedules());
    schedules.extend(crate::chat::sweep::schedules());
    let mut options = WorkerOptions::from_settings(settings);
    if state.store.backend_name() == "sqlite"
        && settings.jobs.job_queue == JobQueueBackend::Database
    {
        // One process owns a SQLite database, and its own enqueues wake its workers at once: polling
        // only has to catch jobs that become due later (retries, schedules).
        options.poll_interval = options.poll_interval.max(Duration::from_secs(1));
    }
    WorkerPool::new(
        state.jobs.clone(),
        registry,
        state.bus.clone(),
        state.metrics.jobs.clone(),
        options,
    )
    .with_schedules(schedules)
}

/// Knowledge's parts as the settings choose them: the extractor, the embedding engine (the local
/// model is loaded on first use, from `RAG_EMBEDDING_MODEL`: a directory, the model cache under
/// `DATA_DIR/models`, or the Hugging Face hub), and the vector index.
async fn open_knowledge(
    settings: &Settings,
    store: &Store,
    drive: &Drive,
    jobs: &Jobs,
    bus: &Arc<dyn Coordinator>,
    options: BuildOptions,
) -> Result<hearth_rag::Knowledge, StartError> {
    let rag = &settings.rag;
    let extractor = hearth_extract::open_extractor(rag, options.extraction_helper)
        .map_err(|e| StartError::Knowledge(e.to_string()))?;
    let model = rag.rag_embedding_model.clone();
    let cache = settings.core.data_dir.join("models");
    let batch = rag.rag_embedding_batch_size as usize;
    let onnx_runtime = rag.rag_embedding_onnx_runtime.clone();
    let hub = hearth_embed_local::hub::Hub::from_env();
    let local: hearth_rag::embed::LocalLoader = Arc::new(move || {
        let (model, cache, onnx_runtime) = (model.clone(), cache.clone(), onnx_runtime.clone());
        let hub = hub.clone();
        Box::pin(async move {
            let dir =
                hearth_embed_local::hub::resolve(&model, &cache, &hub, onnx_runtime.is_some())
                    .await
                    .map_err(|e| hearth_core::seams::SeamError::Unavailable {
                        service: "embedding model".into(),
                        reason: e.to_string(),
                    })?;
            tracing::info!(model = %model, dir = %dir.display(), "loading the embedding model");
            let engine = tokio::task::spawn_blocking(move || {
                hearth_embed_local::LocalEmbedder::load(
                    &dir,
                    &model,
                    batch,
                    onnx_runtime.as_deref(),
                )
            })
            .await
            .map_err(|e| hearth_core::seams::SeamError::Backend(e.to_string()))?
            .map_err(|e| hearth_core::seams::SeamError::Unavailable {
                service: "embedding model".into(),
                reason: e.to_string(),
            })?;
            tracing::info!(engine = engine.engine(), "embedding model loaded");
            Ok(Arc::new(engine) as Arc<dyn hearth_core::seams::Embedder>)
        })
    });
    let embedder = hearth_rag::embed::open_embedder(rag, Some(local))
        .map_err(|e| StartError::Knowledge(e.to_string()))?;
    let database_url = settings
        .database
        .database_url
        .as_ref()
        .map(|u| u.expose().to_owned());
    let vectors = hearth_vector::open_vector_index(
        &settings.vector,
        &settings.core.data_dir,
        database_url.as_deref(),
    )
    .await
    .map_err(|e| StartError::Knowledge(e.to_string()))?;
    Ok(hearth_rag::Knowledge::new(
        store.clone(),
        drive.clone(),
        jobs.clone(),
        bus.clone(),
        extractor,
        embedder,
        vectors,
        rag.clone(),
    ))
}
