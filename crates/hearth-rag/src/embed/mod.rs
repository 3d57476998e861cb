//! The embedding engines behind the [`Embedder`] seam, chosen by `RAG_EMBEDDING_ENGINE`:
//! `local` (the built-in model, loaded on first use, once per process), `openai`
//! (`/v1/embeddings`) and `ollama` (`/api/embed`), both batched by `RAG_EMBEDDING_BATCH_SIZE` and
//! retried on overload and network failures.

mod http;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use hearth_config::{RagEmbeddingEngine, RagSettings};
use hearth_core::seams::{Embedder, SeamError};
use tokio::sync::OnceCell;

pub use http::{HttpEmbedder, HttpFlavor};

/// Makes the local engine (loading a model takes seconds and hundreds of megabytes, so it happens
/// only when the first text is embedded).
pub type LocalLoader = Arc<
    dyn Fn() -> Pin<Box<dyn Future<Output = Result<Arc<dyn Embedder>, SeamError>> + Send>>
        + Send
        + Sync,
>;

/// The embedder the settings choose. `local` is what `RAG_EMBEDDING_ENGINE=local` loads.
pub fn open_embedder(
    rag: &RagSettings,
    local: Option<LocalLoader>,
) -> Result<Arc<dyn Embedder>, SeamError> {
    match rag.rag_embedding_engine {
        RagEmbeddingEngine::Local => {
            let loader = local.ok_or_else(|| {
                SeamError::Invalid(
                    "this build has no local embedding model; set RAG_EMBEDDING_ENGINE=openai or ollama"
                        .into(),
                )
            })?;
            Ok(Arc::new(LazyEmbedder::new(
                rag.rag_embedding_model.clone(),
                loader,
            )))
        }
        RagEmbeddingEngine::Openai => {
            let base = rag.rag_openai_api_base_url.as_deref().ok_or_else(|| {
                SeamError::Invalid(
                    "RAG_EMBEDDING_ENGINE=openai needs RAG_OPENAI_API_BASE_URL".into(),
                )
            })?;
            Ok(Arc::new(HttpEmbedder::new(
                HttpFlavor::OpenAi,
                base,
                rag.rag_openai_api_key
                    .as_ref()
                    .map(|k| k.expose().to_owned()),
                &rag.rag_embedding_model,
                rag.rag_embedding_batch_size as usize,
            )?))
        }
        RagEmbeddingEngine::Ollama => {
            let base = rag.rag_ollama_base_url.as_deref().ok_or_else(|| {
                SeamError::Invalid("RAG_EMBEDDING_ENGINE=ollama needs RAG_OLLAMA_BASE_URL".into())
            })?;
            Ok(Arc::new(HttpEmbedder::new(
                HttpFlavor::Ollama,
                base,
                None,
                &rag.rag_embedding_model,
                rag.rag_embedding_batch_size as usize,
            )?))
        }
    }
}

/// An embedder made on first use and shared from then on.
pub struct LazyEmbedder {
    model: String,
    loader: LocalLoader,
    loaded: OnceCell<Arc<dyn Embedder>>,
}

impl fmt::Debug for LazyEmbedder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LazyEmbedder")
            .field("model", &self.model)
            .field("loaded", &self.loaded.initialized())
            .finish()
    }
}

impl LazyEmbedder {
    pub fn new(model: String, loader: LocalLoader) -> Self {
        Self {
            model,
            loader,
            loaded: OnceCell::new(),
        }
    }

    async fn engine(&self) -> Result<&Arc<dyn Embedder>, SeamError> {
        self.loaded.get_or_try_init(|| (self.loader)()).await
    }

    /// Whether the model has been loaded yet.
    pub fn is_loaded(&self) -> bool {
        self.loaded.initialized()
    }
}

#[async_trait]
impl Embedder for LazyEmbedder {
    fn model(&self) -> &str {
        &self.model
    }

    fn dimensions(&self) -> usize {
        self.loaded.get().map_or(0, |e| e.dimensions())
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, SeamError> {
        self.engine().await?.embed(texts).await
    }

    /// Ready without loading: loading happens with the first document, not the first probe.
    async fn check(&self) -> Result<(), SeamError> {
        match self.loaded.get() {
            Some(engine) => engine.check().await,
            None => Ok(()),
        }
    }
}

/// Scales a vector to unit length (zero vectors stay zero).
pub fn normalize(mut vector: Vec<f32>) -> Vec<f32> {
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for x in &mut vector {
            *x /= norm;
        }
    }
    vector
}
