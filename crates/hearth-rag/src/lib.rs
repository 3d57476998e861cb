//! Hearth's knowledge and retrieval.
//!
//! - [`chunk`]: documents into passages that keep their page and heading.
//! - [`embed`]: the embedding engines (local, OpenAI-compatible, Ollama) behind the seam.
//! - [`Knowledge`]: ingestion (extract → chunk → embed → index) as jobs, and hybrid retrieval —
//!   vector and full-text search fused by reciprocal rank ([`fusion`]).
//! - [`jobs`]: the ingestion and re-index jobs.

pub mod chunk;
pub mod embed;
mod error;
pub mod fusion;
pub mod jobs;
mod knowledge;

pub use error::RagError;
pub use knowledge::{Knowledge, MAX_DOCUMENT_BYTES, Retrieved, collection_name};
