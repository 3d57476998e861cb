//! The vector index seam: nearest-neighbour search over embedded passages.

use std::fmt;

use async_trait::async_trait;
use serde_json::Value;

use super::SeamError;

/// A passage and its embedding.
#[derive(Clone, Debug, PartialEq)]
pub struct VectorRecord {
    /// Stable id, so re-indexing the same passage replaces it instead of duplicating it.
    pub id: String,
    pub vector: Vec<f32>,
    pub text: String,
    /// Source file, page, heading, tenant… returned with hits for citations and filtering.
    pub metadata: Value,
}

/// A search result; higher `score` is closer (cosine similarity).
#[derive(Clone, Debug, PartialEq)]
pub struct VectorHit {
    pub id: String,
    pub score: f32,
    pub text: String,
    pub metadata: Value,
}

/// Collections of vectors searched by cosine similarity. Backends must return equivalent results for
/// the same data, and the embedded one must be safe under concurrent readers and writers.
#[async_trait]
pub trait VectorIndex: Send + Sync + fmt::Debug + 'static {
    /// The backend's name (`embedded`, `pgvector`, …).
    fn backend(&self) -> &'static str;
    /// Inserts or replaces records by id, creating the collection on first use.
    async fn upsert(&self, collection: &str, records: Vec<VectorRecord>) -> Result<(), SeamError>;
    /// The `k` records closest to `vector`.
    async fn search(
        &self,
        collection: &str,
        vector: &[f32],
        k: usize,
    ) -> Result<Vec<VectorHit>, SeamError>;
    /// Removes records by id; missing ids are ignored.
    async fn delete(&self, collection: &str, ids: &[String]) -> Result<(), SeamError>;
    /// Removes a collection and everything in it.
    async fn drop_collection(&self, collection: &str) -> Result<(), SeamError>;
    /// Whether the index answers, for `/ready`.
    async fn check(&self) -> Result<(), SeamError>;
}
