//! The settings themselves, one struct per section; each field is named after its environment variable.
//!
//! A field `database_pool_size` is read from `DATABASE_POOL_SIZE`. Every field has a one-paragraph doc
//! comment: it becomes the field's entry in `docs/configuration.md`.

use std::path::PathBuf;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{HumanDuration, Secret};

/// Where Hearth listens, where it keeps its data, and how it signs tokens and logs.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, rename_all = "SCREAMING_SNAKE_CASE")]
pub struct CoreSettings {
    /// Directory for the SQLite database, local files and the generated secret key. Created if missing.
    pub data_dir: PathBuf,
    /// Address to listen on.
    pub host: String,
    /// Port to listen on; `0` picks a free port (the chosen address is logged).
    pub port: u16,
    /// Key that signs sign-in tokens; at least 32 characters. Generated and kept in `DATA_DIR/.hearth_secret_key` on a single SQLite node when unset; required, and identical on every replica, otherwise.
    pub hearth_secret_key: Option<Secret>,
    /// Key that encrypts stored provider credentials (at least 32 characters). Derived from `HEARTH_SECRET_KEY` when unset.
    pub hearth_encryption_key: Option<Secret>,
    /// Lifetime of sign-in tokens, e.g. `30m`, `12h`, `7d`. Sign-out revokes a token before it expires.
    pub jwt_expires_in: HumanDuration,
    /// Origins allowed to call the API from a browser, separated by `;`. Empty allows the same origin only; `*` allows any (warned about).
    #[schemars(extend("x-separator" = ";"))]
    pub cors_allow_origin: Vec<String>,
    /// Log filter: a level (`error`, `warn`, `info`, `debug`, `trace`) or per-module directives such as `info,hearth_db=debug`.
    pub log_level: String,
    /// Log line format on stdout.
    pub log_format: LogFormat,
    /// Run background job workers inside `hearth serve`. Set to `false` when dedicated `hearth worker` processes run them.
    pub hearth_inline_worker: bool,
    /// Seconds that a stopping server waits for in-flight requests after SIGTERM before it exits anyway.
    pub hearth_shutdown_timeout: u64,
}

impl Default for CoreSettings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            host: "0.0.0.0".into(),
            port: 8080,
            hearth_secret_key: None,
            hearth_encryption_key: None,
            jwt_expires_in: HumanDuration::days(7),
            cors_allow_origin: Vec::new(),
            log_level: "info".into(),
            log_format: LogFormat::Text,
            hearth_inline_worker: true,
            hearth_shutdown_timeout: 30,
        }
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The relational database: SQLite by default, PostgreSQL or MariaDB/MySQL when scaled.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, rename_all = "SCREAMING_SNAKE_CASE")]
pub struct DatabaseSettings {
    /// `sqlite://path`, `postgres://…` (or `postgresql://`), `mysql://…` or `mariadb://…`. Defaults to `sqlite://DATA_DIR/hearth.db`. Any other scheme is refused.
    pub database_url: Option<Secret>,
    /// Connections each process keeps open (PostgreSQL/MariaDB; the SQLite reader pool). Total connections = pool size × processes.
    pub database_pool_size: u32,
    /// Extra connections opened under load beyond `DATABASE_POOL_SIZE`; closed again after a minute idle.
    pub database_pool_max_overflow: u32,
    /// Seconds a request waits for a free connection before it fails with 503.
    pub database_pool_timeout: u64,
    /// Milliseconds a SQLite connection waits for a lock held by another process before giving up.
    pub database_sqlite_pragma_busy_timeout: u64,
    /// SQLite durability: `normal` (WAL; survives a crash or kill of the process) or `full` (also survives power loss, slower writes).
    pub database_sqlite_synchronous: SqliteSynchronous,
    /// Apply pending migrations when `hearth serve` starts. Safe with many replicas: a database lock lets one migrate while the others wait.
    pub enable_db_migrations: bool,
    /// Minimum seconds between two writes of a user's `last_active_at`; requests in between do not write. `0` writes on every request (not recommended).
    pub database_user_active_status_update_interval: u64,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            database_url: None,
            database_pool_size: 10,
            database_pool_max_overflow: 10,
            database_pool_timeout: 30,
            database_sqlite_pragma_busy_timeout: 5000,
            database_sqlite_synchronous: SqliteSynchronous::Normal,
            enable_db_migrations: true,
            database_user_active_status_update_interval: 60,
        }
    }
}

/// SQLite's `synchronous` pragma, restricted to the values that keep acknowledged writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSynchronous {
    /// Durable across process crashes; the last transactions may roll back on power loss.
    Normal,
    /// Durable across power loss; every commit waits for the disk.
    Full,
}

/// Redis: shared coordination between replicas (events, revocation, settings, rate limits).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, rename_all = "SCREAMING_SNAKE_CASE")]
pub struct RedisSettings {
    /// `redis://…` or `rediss://…` (TLS). Unset: coordination stays inside the process.
    pub redis_url: Option<Secret>,
    /// Redis Sentinel hosts as `host:port`, separated by `,`.
    #[schemars(extend("x-separator" = ","))]
    pub redis_sentinel_hosts: Vec<String>,
    /// Connect to a Redis Cluster.
    pub redis_cluster: bool,
    /// Seconds to wait when connecting to Redis.
    pub redis_socket_connect_timeout: u64,
    /// Prefix of every Redis key Hearth writes, so several installations can share one Redis.
    pub redis_key_prefix: String,
    /// Where realtime events travel between replicas: `local` (one process) or `redis`. Whenever
    /// `REDIS_URL` is set, every coordination (events, revocations, settings changes, rate limits,
    /// presence) goes through Redis; `redis` only insists that it is set.
    pub websocket_manager: WebsocketManager,
}

impl Default for RedisSettings {
    fn default() -> Self {
        Self {
            redis_url: None,
            redis_sentinel_hosts: Vec::new(),
            redis_cluster: false,
            redis_socket_connect_timeout: 5,
            redis_key_prefix: "hearth".into(),
            websocket_manager: WebsocketManager::Local,
        }
    }
}

/// How realtime events reach WebSocket clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WebsocketManager {
    /// Inside one process.
    Local,
    /// Through Redis pub/sub, across replicas.
    Redis,
}

/// The vector index used for retrieval.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, rename_all = "SCREAMING_SNAKE_CASE")]
pub struct VectorSettings {
    /// `embedded` (on local disk), `pgvector`, `qdrant` or `chroma` (HTTP server).
    pub vector_db: VectorDb,
    /// PostgreSQL URL for pgvector; defaults to `DATABASE_URL` when that is PostgreSQL.
    pub pgvector_db_url: Option<Secret>,
    /// Qdrant URL, e.g. `http://qdrant:6333`.
    pub qdrant_uri: Option<String>,
    /// Qdrant API key.
    pub qdrant_api_key: Option<Secret>,
    /// Chroma server host name.
    pub chroma_http_host: Option<String>,
    /// Chroma server port.
    pub chroma_http_port: u16,
}

impl Default for VectorSettings {
    fn default() -> Self {
        Self {
            vector_db: VectorDb::Embedded,
            pgvector_db_url: None,
            qdrant_uri: None,
            qdrant_api_key: None,
            chroma_http_host: None,
            chroma_http_port: 8000,
        }
    }
}

/// Vector index backends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum VectorDb {
    /// On local disk, inside the process.
    Embedded,
    /// PostgreSQL with the pgvector extension.
    Pgvector,
    /// A Qdrant server.
    Qdrant,
    /// A Chroma server over HTTP.
    Chroma,
}

/// Where file contents are stored.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, rename_all = "SCREAMING_SNAKE_CASE")]
pub struct StorageSettings {
    /// `local` (`DATA_DIR/files`), `s3`, `gcs` or `azure`.
    pub storage_provider: StorageProvider,
    /// S3 bucket name.
    pub s3_bucket_name: Option<String>,
    /// S3 region.
    pub s3_region_name: Option<String>,
    /// S3 endpoint for S3-compatible servers (MinIO, Garage, SeaweedFS); unset for AWS.
    pub s3_endpoint_url: Option<String>,
    /// S3 access key id.
    pub s3_access_key_id: Option<String>,
    /// S3 secret access key.
    pub s3_secret_access_key: Option<Secret>,
    /// Prefix put before every object key, to share a bucket.
    pub s3_key_prefix: Option<String>,
    /// `path`, `virtual` or `auto` (virtual-hosted on AWS, path-style elsewhere).
    pub s3_addressing_style: S3AddressingStyle,
    /// Google Cloud Storage bucket name.
    pub gcs_bucket_name: Option<String>,
    /// Google service-account credentials as JSON.
    pub google_application_credentials_json: Option<Secret>,
    /// Azure Blob Storage endpoint, e.g. `https://account.blob.core.windows.net`.
    pub azure_storage_endpoint: Option<String>,
    /// Azure Blob Storage container name.
    pub azure_storage_container_name: Option<String>,
    /// Azure Blob Storage account key.
    pub azure_storage_key: Option<Secret>,
    /// How long an unfinished resumable upload is kept after it was created (its parts under
    /// `uploads/` are then deleted).
    pub file_upload_expiry: HumanDuration,
}

impl Default for StorageSettings {
    fn default() -> Self {
        Self {
            storage_provider: StorageProvider::Local,
            s3_bucket_name: None,
            s3_region_name: None,
            s3_endpoint_url: None,
            s3_access_key_id: None,
            s3_secret_access_key: None,
            s3_key_prefix: None,
            s3_addressing_style: S3AddressingStyle::Auto,
            gcs_bucket_name: None,
            google_application_credentials_json: None,
            azure_storage_endpoint: None,
            azure_storage_container_name: None,
            azure_storage_key: None,
            file_upload_expiry: HumanDuration(Duration::from_secs(48 * 3600)),
        }
    }
}

/// File storage backends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StorageProvider {
    /// Files under `DATA_DIR/files` (or a shared filesystem mounted there).
    Local,
    /// Amazon S3 or an S3-compatible server.
    S3,
    /// Google Cloud Storage.
    Gcs,
    /// Azure Blob Storage.
    Azure,
}

/// S3 request addressing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum S3AddressingStyle {
    /// Virtual-hosted on AWS, path-style with a custom endpoint.
    Auto,
    /// `https://endpoint/bucket/key`.
    Path,
    /// `https://bucket.endpoint/key`.
    Virtual,
}

/// Retrieval-augmented generation: extraction, chunking, embeddings, retrieval.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, rename_all = "SCREAMING_SNAKE_CASE")]
pub struct RagSettings {
    /// `builtin` (isolated, with limits), `tika` or `docling`.
    pub content_extraction_engine: ContentExtractionEngine,
    /// Apache Tika server URL, e.g. `http://tika:9998`.
    pub tika_server_url: Option<String>,
    /// Docling server URL.
    pub docling_server_url: Option<String>,
    /// `local` (built-in model, loaded once per process), `openai` or `ollama`.
    pub rag_embedding_engine: RagEmbeddingEngine,
    /// Embedding model: a Hugging Face id or a local directory for `local`; the model name for `openai`/`ollama`.
    pub rag_embedding_model: String,
    /// Texts embedded per batch.
    pub rag_embedding_batch_size: u32,
    /// ONNX Runtime's shared library (`libonnxruntime.so`, version 1.31 or later) for `local`:
    /// when set, a model with an ONNX graph (`onnx/model.onnx`, fetched with the model) runs on
    /// ONNX Runtime, about 1.5× faster on CPU than the built-in engine, which runs it otherwise.
    pub rag_embedding_onnx_runtime: Option<PathBuf>,
    /// OpenAI-compatible embeddings endpoint base URL.
    pub rag_openai_api_base_url: Option<String>,
    /// API key for the OpenAI-compatible embeddings endpoint.
    pub rag_openai_api_key: Option<Secret>,
    /// Ollama base URL for embeddings.
    pub rag_ollama_base_url: Option<String>,
    /// Target chunk size in characters.
    pub chunk_size: u32,
    /// Characters shared by neighbouring chunks; must be smaller than `CHUNK_SIZE`.
    pub chunk_overlap: u32,
    /// Passages given to the model per question.
    pub rag_top_k: u32,
    /// Fuse full-text and vector search (hybrid retrieval).
    pub enable_rag_hybrid_search: bool,
    /// How much a full-text rank counts against a vector rank when hybrid retrieval fuses them (1 =
    /// as much). The best half of the results always comes from the vector search.
    pub rag_hybrid_bm25_weight: f32,
    /// Longest time one document may take to extract before it fails (the parser is then killed).
    pub content_extraction_timeout: HumanDuration,
    /// Memory one built-in extraction may use, in megabytes (the parser process's address space).
    pub content_extraction_max_memory: u64,
    /// Most characters of text kept from one document; a document with more fails.
    pub content_extraction_max_chars: u64,
    /// Most pages (PDF) or slides one document may have.
    pub content_extraction_max_pages: u32,
    /// Most an archive inside a document (DOCX, PPTX, XLSX, EPUB) may unpack to, in megabytes; also
    /// refused: an entry that unpacks to more than 100 times its packed size (a zip bomb).
    pub content_extraction_max_unpacked: u64,
    /// Documents extracted at the same time by one process (0: one per core).
    pub content_extraction_concurrency: u32,
}

impl Default for RagSettings {
    fn default() -> Self {
        Self {
            content_extraction_engine: ContentExtractionEngine::Builtin,
            tika_server_url: None,
            docling_server_url: None,
            rag_embedding_engine: RagEmbeddingEngine::Local,
            rag_embedding_model: "sentence-transformers/all-MiniLM-L6-v2".into(),
            rag_embedding_batch_size: 32,
            rag_embedding_onnx_runtime: None,
            rag_openai_api_base_url: None,
            rag_openai_api_key: None,
            rag_ollama_base_url: None,
            chunk_size: 1000,
            chunk_overlap: 100,
            rag_top_k: 5,
            enable_rag_hybrid_search: true,
            rag_hybrid_bm25_weight: 1.0,
            content_extraction_timeout: HumanDuration(Duration::from_secs(120)),
            content_extraction_max_memory: 1024,
            content_extraction_max_chars: 20_000_000,
            content_extraction_max_pages: 5_000,
            content_extraction_max_unpacked: 512,
            content_extraction_concurrency: 0,
        }
    }
}

/// Content extraction engines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ContentExtractionEngine {
    /// Built-in extractors, run in isolation with time and memory limits.
    Builtin,
    /// An Apache Tika server.
    Tika,
    /// A Docling server.
    Docling,
}

/// Embedding engines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RagEmbeddingEngine {
    /// The built-in local model.
    Local,
    /// An OpenAI-compatible `/v1/embeddings` endpoint.
    Openai,
    /// An Ollama `/api/embed` endpoint.
    Ollama,
}

/// Connections to model servers given by the environment.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, rename_all = "SCREAMING_SNAKE_CASE")]
pub struct ModelSettings {
    /// OpenAI-compatible server base URLs, separated by `;`.
    #[schemars(extend("x-separator" = ";"))]
    pub openai_api_base_urls: Vec<String>,
    /// API keys for `OPENAI_API_BASE_URLS`, separated by `;` and paired by position (leave an entry empty for a server without a key).
    #[schemars(extend("x-separator" = ";", "x-positional" = true))]
    pub openai_api_keys: Vec<Secret>,
    /// Ollama server base URLs, separated by `;`.
    #[schemars(extend("x-separator" = ";"))]
    pub ollama_base_urls: Vec<String>,
    /// Use the OpenAI-compatible connections.
    pub enable_openai_api: bool,
    /// Use the Ollama connections.
    pub enable_ollama_api: bool,
    /// Seconds the list of models is cached before the model servers are asked again (admins can refresh it at any time).
    pub models_cache_ttl: u64,
    /// Seconds to wait when connecting to a model server.
    pub model_connect_timeout: u64,
    /// Seconds to wait for a model server's first answer, and between two pieces of a streamed answer.
    pub model_request_timeout: u64,
    /// Model that writes chat titles (and later other background tasks); unset uses the chat's own model.
    pub task_model: Option<String>,
    /// Give new chats a title generated from their first exchange.
    pub enable_title_generation: bool,
}

impl Default for ModelSettings {
    fn default() -> Self {
        Self {
            openai_api_base_urls: Vec::new(),
            openai_api_keys: Vec::new(),
            ollama_base_urls: Vec::new(),
            enable_openai_api: true,
            enable_ollama_api: true,
            models_cache_ttl: 300,
            model_connect_timeout: 10,
            model_request_timeout: 300,
            task_model: None,
            enable_title_generation: true,
        }
    }
}

/// Sign-up, limits, outbound requests and single sign-on.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, rename_all = "SCREAMING_SNAKE_CASE")]
pub struct SecuritySettings {
    /// Allow people to create accounts. The very first account can always be created and becomes the administrator.
    pub enable_signup: bool,
    /// Role of new accounts after the first: `pending` (an administrator approves them) or `user`.
    pub default_user_role: DefaultUserRole,
    /// Largest accepted upload, in megabytes. Unset: no limit beyond the user's quota.
    pub file_max_size: Option<u64>,
    /// Most files accepted in one upload request.
    pub file_max_count: Option<u32>,
    /// Drive space each user may fill, in megabytes (the files' sizes; identical files still count for
    /// each). Unset: no quota. Administrators can set a different quota per user.
    pub file_user_quota: Option<u64>,
    /// Accepted file extensions, separated by `,` (e.g. `pdf,docx,md`). Empty accepts all.
    #[schemars(extend("x-separator" = ","))]
    pub file_allowed_extensions: Vec<String>,
    /// Let profile-image URLs redirect browsers to external hosts (leaks viewers' IP addresses to them).
    pub enable_profile_image_url_forwarding: bool,
    /// Follow HTTP redirects on outbound requests (web fetch, extractors, model servers).
    pub outbound_allow_redirects: bool,
    /// Hosts that outbound web fetches may reach (or, prefixed with `!`, may not), separated by `,`.
    #[schemars(extend("x-separator" = ","))]
    pub web_fetch_filter_list: Vec<String>,
    /// OpenID Connect client id.
    pub oauth_client_id: Option<String>,
    /// OpenID Connect client secret.
    pub oauth_client_secret: Option<Secret>,
    /// OpenID Connect discovery URL (`…/.well-known/openid-configuration`).
    pub openid_provider_url: Option<String>,
    /// Key that encrypts identity-provider tokens kept server-side; identical on every replica.
    pub oauth_session_token_encryption_key: Option<Secret>,
    /// Requests each signed-in user may make per minute, on all replicas together (429 with
    /// `Retry-After` past it). 0: no limit.
    pub rate_limit_per_user: u32,
    /// Requests each client address may make per minute to the API, on all replicas together.
    /// 0: no limit.
    pub rate_limit_per_ip: u32,
    /// Proxies whose `X-Forwarded-For` names the client address (for rate limits), separated by
    /// `,`; `*` trusts every peer. Empty: the connection's own peer address.
    #[schemars(extend("x-separator" = ","))]
    pub forwarded_allow_ips: Vec<String>,
    /// Seconds a replica may answer from its memory that a session is valid, instead of asking the
    /// database. Sign-out, password changes and role changes still take effect at once on every
    /// replica (they are announced on the coordination bus, and the memory is not trusted while the
    /// bus is disconnected). 0: always ask the database.
    pub auth_session_cache_ttl: u64,
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            enable_signup: true,
            default_user_role: DefaultUserRole::Pending,
            file_max_size: None,
            file_max_count: None,
            file_user_quota: None,
            file_allowed_extensions: Vec::new(),
            enable_profile_image_url_forwarding: false,
            outbound_allow_redirects: false,
            web_fetch_filter_list: Vec::new(),
            oauth_client_id: None,
            oauth_client_secret: None,
            openid_provider_url: None,
            oauth_session_token_encryption_key: None,
            rate_limit_per_user: 0,
            rate_limit_per_ip: 0,
            forwarded_allow_ips: Vec::new(),
            auth_session_cache_ttl: 10,
        }
    }
}

/// Roles a new account may receive. `admin` is deliberately absent: every sign-up would become an administrator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DefaultUserRole {
    /// Signed in but waiting for an administrator's approval.
    Pending,
    /// A regular user.
    User,
}

/// Background jobs: where the queue lives, how many jobs each process runs at once, retries and leases.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, rename_all = "SCREAMING_SNAKE_CASE")]
pub struct JobSettings {
    /// Where jobs are queued: `database` (the database of `DATABASE_URL`, durable with it) or `redis` (`REDIS_URL`; run Redis with `appendonly yes`, or queued jobs die with it).
    pub job_queue: JobQueueBackend,
    /// Jobs of the `high` queue (embedding, indexing, scanning) each process runs at once. These slots also take nothing else, so urgent work never waits behind slow work.
    pub worker_concurrency_high: u32,
    /// Jobs of the `medium` queue (connector sync) each process runs at once; idle slots also take `high` work.
    pub worker_concurrency_medium: u32,
    /// Jobs of the `low` queue (sweeps, garbage collection, quota recompute) each process runs at once; idle slots also take `high` and `medium` work.
    pub worker_concurrency_low: u32,
    /// How long a worker holds a job without renewing its lease; a job whose worker died runs again after this. Renewed every third of it while the job runs.
    pub job_lease_timeout: HumanDuration,
    /// Delay before the first retry of a failed job; doubled for each further attempt.
    pub job_retry_base_delay: HumanDuration,
    /// Longest delay between two attempts.
    pub job_retry_max_delay: HumanDuration,
    /// How often an idle worker looks for jobs queued by other processes (jobs queued by its own process wake it at once).
    pub job_poll_interval: HumanDuration,
    /// How long succeeded and cancelled jobs are kept for inspection before the hourly sweep deletes them. Dead jobs stay until an administrator retries or discards them.
    pub job_retention: HumanDuration,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            job_queue: JobQueueBackend::Database,
            worker_concurrency_high: 4,
            worker_concurrency_medium: 1,
            worker_concurrency_low: 1,
            job_lease_timeout: HumanDuration(std::time::Duration::from_secs(60)),
            job_retry_base_delay: HumanDuration(std::time::Duration::from_secs(5)),
            job_retry_max_delay: HumanDuration(std::time::Duration::from_secs(3600)),
            job_poll_interval: HumanDuration(std::time::Duration::from_millis(250)),
            job_retention: HumanDuration::days(7),
        }
    }
}

/// Where background jobs are queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobQueueBackend {
    /// The relational database (SQLite, PostgreSQL or MariaDB/MySQL).
    Database,
    /// Redis, at `REDIS_URL`.
    Redis,
}

/// Metrics, tracing and auditing.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(default, rename_all = "SCREAMING_SNAKE_CASE")]
pub struct ObservabilitySettings {
    /// Export traces and metrics over OTLP.
    pub enable_otel: bool,
    /// OTLP collector endpoint, e.g. `http://collector:4317`.
    pub otel_exporter_otlp_endpoint: Option<String>,
    /// Service name reported to the collector.
    pub otel_service_name: String,
    /// Serve Prometheus metrics at `/metrics`.
    pub enable_metrics: bool,
    /// Record authentication events and administrator actions in the audit log.
    pub enable_audit_log: bool,
}

impl Default for ObservabilitySettings {
    fn default() -> Self {
        Self {
            enable_otel: false,
            otel_exporter_otlp_endpoint: None,
            otel_service_name: "hearth".into(),
            enable_metrics: true,
            enable_audit_log: false,
        }
    }
}
