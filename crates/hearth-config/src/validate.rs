//! Checks that settings make sense together: refuses what is certainly wrong, warns about what is
//! probably wrong. Checks that need the filesystem or the network live in the binary's start-up.

use std::fmt;

use crate::{
    ConfigError, ContentExtractionEngine, JobQueueBackend, RagEmbeddingEngine, Settings,
    StorageProvider, VectorDb, WebsocketManager,
};

/// Minimum length of `HEARTH_SECRET_KEY` and `HEARTH_ENCRYPTION_KEY`.
pub(crate) const MIN_KEY_LENGTH: usize = 32;

/// A setting that works but is probably a mistake; logged at start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning(pub String);

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Settings {
    /// What is wrong with the settings an administrator may also change while Hearth runs
    /// ([`crate::TUNABLES`]); checked at start and on every change.
    pub(crate) fn tunable_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let (security, rag) = (&self.security, &self.rag);
        if security.file_max_size == Some(0) {
            problems
                .push("FILE_MAX_SIZE=0 would refuse every upload; unset it for no limit".into());
        }
        if security.file_max_count == Some(0) {
            problems
                .push("FILE_MAX_COUNT=0 would refuse every upload; unset it for no limit".into());
        }
        if !(0.0..=10.0).contains(&rag.rag_hybrid_bm25_weight) {
            problems.push(format!(
                "RAG_HYBRID_BM25_WEIGHT must be between 0 and 10, not {}",
                rag.rag_hybrid_bm25_weight
            ));
        }
        if rag.chunk_size == 0 || rag.chunk_overlap >= rag.chunk_size {
            problems.push(format!(
                "CHUNK_OVERLAP ({}) must be smaller than CHUNK_SIZE ({}), which must be positive",
                rag.chunk_overlap, rag.chunk_size
            ));
        }
        if rag.rag_top_k == 0 {
            problems.push("RAG_TOP_K must be at least 1".into());
        }
        problems
    }

    /// Refuses combinations that cannot work or that the deployment guides name as anti-patterns and
    /// that can be detected reliably; returns warnings for the ones that cannot.
    pub fn validate(&self) -> Result<Vec<Warning>, ConfigError> {
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        // How the deployment examples' placeholders begin (deploy/compose/scaled/hearth.env.example).
        const PLACEHOLDER: &str = "replace-with";
        let mut refuse = |problem: String| problems.push(problem);
        let mut warn = |warning: String| warnings.push(Warning(warning));

        let target = self.database_target()?;
        let sqlite = target.is_sqlite();

        match &self.core.hearth_secret_key {
            None if !sqlite => refuse(format!(
                "HEARTH_SECRET_KEY must be set when DATABASE_URL is {}: every process sharing the database must sign and check tokens with the same key, so it cannot be generated per process",
                target.backend_name()
            )),
            Some(key) if key.expose().starts_with(PLACEHOLDER) => refuse(
                "HEARTH_SECRET_KEY is still the example's placeholder; generate one with `openssl rand -base64 48`".into(),
            ),
            Some(key) if key.expose().len() < MIN_KEY_LENGTH => refuse(format!(
                "HEARTH_SECRET_KEY is {} characters; use at least {MIN_KEY_LENGTH} random characters (e.g. `openssl rand -base64 48`)",
                key.expose().len()
            )),
            _ => {}
        }
        if let Some(key) = &self.core.hearth_encryption_key
            && key.expose().len() < MIN_KEY_LENGTH
        {
            refuse(format!(
                "HEARTH_ENCRYPTION_KEY must be at least {MIN_KEY_LENGTH} characters"
            ));
        }
        if self.core.jwt_expires_in.0.is_zero() {
            refuse("JWT_EXPIRES_IN must be longer than zero".into());
        } else if self.core.jwt_expires_in.0.as_secs() > 30 * 86_400 {
            warn(format!(
                "JWT_EXPIRES_IN={} keeps stolen tokens useful for a long time; sign-out still revokes them",
                self.core.jwt_expires_in
            ));
        }
        if self
            .core
            .cors_allow_origin
            .iter()
            .any(|origin| origin == "*")
        {
            warn("CORS_ALLOW_ORIGIN=* lets any web site call the API with a user's token".into());
        }

        let db = &self.database;
        if db.database_pool_size == 0 {
            refuse("DATABASE_POOL_SIZE must be at least 1".into());
        }
        if db.database_pool_timeout == 0 {
            refuse("DATABASE_POOL_TIMEOUT must be at least 1 second".into());
        }
        if db.database_user_active_status_update_interval == 0 {
            warn("DATABASE_USER_ACTIVE_STATUS_UPDATE_INTERVAL=0 writes to the database on every authenticated request; 60 or more is recommended".into());
        }

        let redis_configured = self.redis.redis_url.is_some();
        if self.redis.websocket_manager == WebsocketManager::Redis && !redis_configured {
            refuse("WEBSOCKET_MANAGER=redis needs REDIS_URL".into());
        }
        if !self.redis.redis_sentinel_hosts.is_empty() && !redis_configured {
            refuse("REDIS_SENTINEL_HOSTS needs REDIS_URL=redis://<service name>/<db> (the monitored service, as the reference system reads it)".into());
        }
        if self.redis.redis_cluster && !self.redis.redis_sentinel_hosts.is_empty() {
            refuse(
                "REDIS_CLUSTER=true and REDIS_SENTINEL_HOSTS are two different topologies; set one"
                    .into(),
            );
        }
        let jobs = &self.jobs;
        if jobs.job_queue == JobQueueBackend::Redis && self.redis.redis_url.is_none() {
            refuse("JOB_QUEUE=redis needs REDIS_URL".into());
        }
        if jobs.worker_concurrency_high
            + jobs.worker_concurrency_medium
            + jobs.worker_concurrency_low
            == 0
        {
            refuse("WORKER_CONCURRENCY_HIGH, _MEDIUM and _LOW are all 0, so no job would ever run; to run no workers in `hearth serve`, set HEARTH_INLINE_WORKER=false instead".into());
        }
        if jobs.job_lease_timeout.0 < std::time::Duration::from_secs(1) {
            refuse("JOB_LEASE_TIMEOUT must be at least 1s".into());
        }
        if jobs.job_retry_base_delay.0 > jobs.job_retry_max_delay.0 {
            refuse("JOB_RETRY_BASE_DELAY is longer than JOB_RETRY_MAX_DELAY".into());
        }
        if jobs.job_poll_interval.0.is_zero() {
            refuse("JOB_POLL_INTERVAL must be longer than 0".into());
        }
        if sqlite && !self.core.hearth_inline_worker {
            refuse("HEARTH_INLINE_WORKER=false on SQLite leaves no process to run background jobs: `hearth worker` needs a database that processes share; keep the workers in `hearth serve` or point DATABASE_URL at PostgreSQL or MariaDB".into());
        }
        if sqlite && redis_configured {
            warn("Redis is configured but the database is SQLite, which serves a single process; switch DATABASE_URL to PostgreSQL before running replicas".into());
        }

        match self.vector.vector_db {
            VectorDb::Pgvector
                if self.vector.pgvector_db_url.is_none()
                    && !matches!(target, crate::DatabaseTarget::Postgres { .. }) =>
            {
                refuse("VECTOR_DB=pgvector needs PGVECTOR_DB_URL, or DATABASE_URL pointing at PostgreSQL".into());
            }
            VectorDb::Qdrant if self.vector.qdrant_uri.is_none() => {
                refuse("VECTOR_DB=qdrant needs QDRANT_URI".into());
            }
            VectorDb::Chroma if self.vector.chroma_http_host.is_none() => refuse(
                "VECTOR_DB=chroma needs CHROMA_HTTP_HOST: Hearth only talks to a Chroma server, never to an embedded SQLite-backed Chroma, which breaks under several processes".into(),
            ),
            VectorDb::Embedded if !sqlite => warn(
                "VECTOR_DB=embedded keeps the vector index on this node's disk; replicas need VECTOR_DB=pgvector, qdrant or chroma".into(),
            ),
            _ => {}
        }

        let storage = &self.storage;
        match storage.storage_provider {
            StorageProvider::S3 if storage.s3_bucket_name.is_none() => {
                refuse("STORAGE_PROVIDER=s3 needs S3_BUCKET_NAME".into());
            }
            StorageProvider::Gcs if storage.gcs_bucket_name.is_none() => {
                refuse("STORAGE_PROVIDER=gcs needs GCS_BUCKET_NAME".into());
            }
            StorageProvider::Azure
                if storage.azure_storage_endpoint.is_none()
                    || storage.azure_storage_container_name.is_none() =>
            {
                refuse("STORAGE_PROVIDER=azure needs AZURE_STORAGE_ENDPOINT and AZURE_STORAGE_CONTAINER_NAME".into());
            }
            StorageProvider::Local if !sqlite => warn(
                "STORAGE_PROVIDER=local: replicas must all mount the same DATA_DIR (shared filesystem), or use STORAGE_PROVIDER=s3".into(),
            ),
            _ => {}
        }
        if storage.file_upload_expiry.0.as_secs() < 60 {
            refuse("FILE_UPLOAD_EXPIRY must be at least 1m: clients need time to resume".into());
        }
        for problem in self.tunable_problems() {
            refuse(problem);
        }

        let rag = &self.rag;
        if rag.content_extraction_engine == ContentExtractionEngine::Tika
            && rag.tika_server_url.is_none()
        {
            refuse("CONTENT_EXTRACTION_ENGINE=tika needs TIKA_SERVER_URL".into());
        }
        if rag.content_extraction_engine == ContentExtractionEngine::Docling
            && rag.docling_server_url.is_none()
        {
            refuse("CONTENT_EXTRACTION_ENGINE=docling needs DOCLING_SERVER_URL".into());
        }
        if rag.rag_embedding_engine == RagEmbeddingEngine::Ollama
            && rag.rag_ollama_base_url.is_none()
        {
            refuse("RAG_EMBEDDING_ENGINE=ollama needs RAG_OLLAMA_BASE_URL".into());
        }
        if rag.rag_embedding_engine == RagEmbeddingEngine::Openai
            && rag.rag_openai_api_base_url.is_none()
        {
            refuse("RAG_EMBEDDING_ENGINE=openai needs RAG_OPENAI_API_BASE_URL".into());
        }
        if let Some(library) = &rag.rag_embedding_onnx_runtime
            && !library.is_file()
        {
            refuse(format!(
                "RAG_EMBEDDING_ONNX_RUNTIME: no file at {}",
                library.display()
            ));
        }
        if rag.rag_embedding_batch_size == 0 {
            refuse("RAG_EMBEDDING_BATCH_SIZE must be at least 1".into());
        }

        let models = &self.models;
        if !models.openai_api_keys.is_empty()
            && models.openai_api_keys.len() != models.openai_api_base_urls.len()
        {
            refuse(format!(
                "OPENAI_API_KEYS has {} entries but OPENAI_API_BASE_URLS has {}; they are paired by position (leave an entry empty for a server without a key)",
                models.openai_api_keys.len(),
                models.openai_api_base_urls.len()
            ));
        }

        if models.model_connect_timeout == 0 || models.model_request_timeout == 0 {
            refuse(
                "MODEL_CONNECT_TIMEOUT and MODEL_REQUEST_TIMEOUT must be at least 1 second".into(),
            );
        }
        if let Some(url) = models
            .openai_api_base_urls
            .iter()
            .chain(&models.ollama_base_urls)
            .find(|u| !is_http_url(u))
        {
            refuse(format!(
                "model server URL `{url}` must start with http:// or https://"
            ));
        }

        let security = &self.security;
        let oauth = [
            security.oauth_client_id.is_some(),
            security.oauth_client_secret.is_some(),
            security.openid_provider_url.is_some(),
        ];
        if oauth.iter().any(|set| *set) && !oauth.iter().all(|set| *set) {
            refuse("single sign-on needs all of OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET and OPENID_PROVIDER_URL".into());
        }
        if self.observability.enable_otel
            && self.observability.otel_exporter_otlp_endpoint.is_none()
        {
            refuse("ENABLE_OTEL=true needs OTEL_EXPORTER_OTLP_ENDPOINT".into());
        }

        if problems.is_empty() {
            Ok(warnings)
        } else {
            Err(ConfigError { problems })
        }
    }
}

fn is_http_url(url: &str) -> bool {
    (url.starts_with("http://") || url.starts_with("https://")) && url.len() > "https://".len()
}

#[cfg(test)]
mod tests {
    use crate::Settings;

    fn settings(pairs: &[(&str, &str)]) -> Settings {
        let env = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        Settings::from_sources(env, None).unwrap()
    }

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn embedded_defaults_validate_without_warnings() {
        assert_eq!(settings(&[]).validate().unwrap(), vec![]);
    }

    #[test]
    fn a_shared_database_requires_an_explicit_secret_key() {
        let err = settings(&[("DATABASE_URL", "postgres://u@h/db")])
            .validate()
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("HEARTH_SECRET_KEY must be set when DATABASE_URL is postgres"),
            "{err}"
        );
        let ok = settings(&[
            ("DATABASE_URL", "postgres://u@h/db"),
            ("HEARTH_SECRET_KEY", KEY),
        ]);
        let warnings = ok.validate().unwrap();
        assert!(warnings.iter().any(|w| w.0.contains("VECTOR_DB=embedded")));
        assert!(
            warnings
                .iter()
                .any(|w| w.0.contains("STORAGE_PROVIDER=local"))
        );
    }

    #[test]
    fn short_keys_are_refused() {
        let err = settings(&[("HEARTH_SECRET_KEY", "short")])
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("at least 32"), "{err}");
    }

    #[test]
    fn anti_patterns_are_refused_with_reasons() {
        let cases = [
            (vec![("VECTOR_DB", "chroma")], "CHROMA_HTTP_HOST"),
            (vec![("WEBSOCKET_MANAGER", "redis")], "needs REDIS_URL"),
            (
                vec![(
                    "HEARTH_SECRET_KEY",
                    "replace-with-the-output-of-openssl-rand-base64-48",
                )],
                "still the example's placeholder",
            ),
            (
                vec![("REDIS_SENTINEL_HOSTS", "s1:26379")],
                "REDIS_SENTINEL_HOSTS needs REDIS_URL",
            ),
            (
                vec![
                    ("REDIS_URL", "redis://mymaster"),
                    ("REDIS_SENTINEL_HOSTS", "s1"),
                    ("REDIS_CLUSTER", "true"),
                ],
                "two different topologies",
            ),
            (
                vec![("JOB_QUEUE", "redis")],
                "JOB_QUEUE=redis needs REDIS_URL",
            ),
            (
                vec![("HEARTH_INLINE_WORKER", "false")],
                "leaves no process to run background jobs",
            ),
            (
                vec![
                    ("WORKER_CONCURRENCY_HIGH", "0"),
                    ("WORKER_CONCURRENCY_MEDIUM", "0"),
                    ("WORKER_CONCURRENCY_LOW", "0"),
                ],
                "HEARTH_INLINE_WORKER=false",
            ),
            (
                vec![("JOB_LEASE_TIMEOUT", "10ms")],
                "JOB_LEASE_TIMEOUT must be at least 1s",
            ),
            (
                vec![
                    ("JOB_RETRY_BASE_DELAY", "2h"),
                    ("JOB_RETRY_MAX_DELAY", "1h"),
                ],
                "longer than JOB_RETRY_MAX_DELAY",
            ),
            (
                vec![("JOB_POLL_INTERVAL", "0s")],
                "JOB_POLL_INTERVAL must be longer than 0",
            ),
            (vec![("STORAGE_PROVIDER", "s3")], "S3_BUCKET_NAME"),
            (
                vec![("CHUNK_SIZE", "100"), ("CHUNK_OVERLAP", "100")],
                "CHUNK_OVERLAP",
            ),
            (
                vec![(
                    "RAG_EMBEDDING_ONNX_RUNTIME",
                    "/nonexistent/libonnxruntime.so",
                )],
                "RAG_EMBEDDING_ONNX_RUNTIME: no file at /nonexistent",
            ),
            (
                vec![
                    ("OPENAI_API_BASE_URLS", "http://a;http://b"),
                    ("OPENAI_API_KEYS", "k"),
                ],
                "paired by position",
            ),
            (vec![("OAUTH_CLIENT_ID", "hearth")], "single sign-on"),
            (
                vec![("OLLAMA_BASE_URLS", "localhost:11434")],
                "must start with http",
            ),
        ];
        for (pairs, expected) in cases {
            let err = settings(&pairs).validate().unwrap_err();
            assert!(err.to_string().contains(expected), "{pairs:?}: {err}");
        }
    }

    #[test]
    fn several_problems_are_reported_on_one_line() {
        let err = settings(&[("VECTOR_DB", "qdrant"), ("STORAGE_PROVIDER", "gcs")])
            .validate()
            .unwrap_err();
        assert_eq!(err.problems().len(), 2);
        assert!(!err.to_string().contains('\n'));
    }

    #[test]
    fn probable_mistakes_are_warned_about() {
        let warnings = settings(&[
            ("CORS_ALLOW_ORIGIN", "*"),
            ("REDIS_URL", "redis://127.0.0.1:6379"),
            ("DATABASE_USER_ACTIVE_STATUS_UPDATE_INTERVAL", "0"),
            ("JWT_EXPIRES_IN", "90d"),
        ])
        .validate()
        .unwrap();
        assert_eq!(warnings.len(), 4, "{warnings:?}");
    }
}
