//! The embedding seam: texts to vectors, batched.

use std::fmt;

use async_trait::async_trait;

use super::SeamError;

/// Turns texts into normalised vectors of a fixed dimension. Loaded once per process and shared.
#[async_trait]
pub trait Embedder: Send + Sync + fmt::Debug + 'static {
    /// The model's name, recorded with stored vectors so a model change triggers re-indexing.
    fn model(&self) -> &str;
    /// The length of every vector.
    fn dimensions(&self) -> usize;
    /// One vector per text, in order. Implementations batch internally.
    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, SeamError>;
    /// Whether the engine answers, for `/ready`.
    async fn check(&self) -> Result<(), SeamError>;
}
