//! The seams: one trait per pluggable backend, each with an embedded implementation for the single
//! binary and one or more scaled ones chosen by configuration.
//!
//! | seam | trait | embedded | scaled |
//! |---|---|---|---|
//! | relational store | `hearth_db::Store` (one implementation over three SQL dialects) | SQLite | PostgreSQL, MariaDB/MySQL |
//! | blob store | [`BlobStore`] | `DATA_DIR/files` | S3, GCS, Azure |
//! | vector index | [`VectorIndex`] | on local disk | pgvector, Qdrant, Chroma |
//! | job queue | [`JobQueue`] | SQLite table | PostgreSQL, Redis |
//! | coordination bus | [`Coordinator`] | in-process | Redis |
//! | content extractor | [`Extractor`] | built-in, isolated | Tika, Docling |
//! | embedder | [`Embedder`] | local model | OpenAI-compatible, Ollama |
//! | model provider | [`ModelProvider`] | — | OpenAI-compatible, Ollama |
//!
//! Every seam has a `check` used by `/ready`, and reports failures as [`SeamError`], which the HTTP
//! layer maps to statuses without knowing which backend failed.

mod blob;
mod bus;
mod embed;
mod extract;
mod jobs;
mod model;
mod vector;

pub use blob::{BlobKey, BlobMeta, BlobStore, ByteStream, InvalidBlobKey};
pub use bus::{
    Coordinator, EVENT_LOG_LENGTH, EVENT_LOG_TTL, LockToken, MessageStream, Replay, event_id,
    with_event_id,
};
pub use embed::Embedder;
pub use extract::{ExtractInput, ExtractedDocument, ExtractedSection, Extractor};
pub use jobs::{
    AdminOutcome, JobFilter, JobOutcome, JobQueue, JobRecord, JobState, LeasedJob, NewJob, Queue,
    QueueDepth,
};
pub use model::{ChatChunk, ChatChunkStream, ChatRequest, ModelInfo, ModelProvider};
pub use vector::{
    FieldIn, VectorFilter, VectorHit, VectorIndex, VectorRecord, check_collection_name,
    refuse_empty_filter, upsert_dimensions, wrong_dimensions,
};

/// A backend failure, classified so callers can react (retry, report 404, report 503) without knowing
/// the backend.
#[derive(Debug, thiserror::Error)]
pub enum SeamError {
    /// The named thing does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The request cannot succeed as given (bad document, wrong dimensions…).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The backing service cannot be reached or refuses work; retrying later may succeed.
    #[error("{service} is unavailable: {reason}")]
    Unavailable { service: String, reason: String },
    /// The backing service did not answer in time.
    #[error("{service} timed out")]
    Timeout { service: String },
    /// The backing service answered with an error of its own.
    #[error("{service} answered {status}: {message}")]
    Upstream {
        service: String,
        status: u16,
        message: String,
    },
    /// Any other failure, with enough context to log.
    #[error("{0}")]
    Backend(String),
}
