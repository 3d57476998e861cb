//! The local engine as an [`Embedder`].

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use candle_core::{DType, Tensor};
use candle_nn::VarBuilder;
use hearth_core::seams::{Embedder, SeamError};
use serde::Deserialize;
use tokenizers::Tokenizer;

use crate::bert::{Bert, BertConfig, device};
use crate::onnx::OnnxEncoder;

/// Tokens kept per text when the model does not say (sentence-transformers' `max_seq_length`).
const DEFAULT_MAX_TOKENS: usize = 256;

/// Why the model could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("embedding model: {0}")]
    Model(String),
    #[error("embedding model download: {0}")]
    Download(String),
}

/// A loaded model; shared by every caller of the process.
#[derive(Clone)]
pub struct LocalEmbedder {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    encoder: Encoder,
    tokenizer: Tokenizer,
    max_tokens: usize,
    dimensions: usize,
    batch_size: usize,
}

/// What runs the encoder: ONNX Runtime when it and the model's ONNX graph are there, else candle.
enum Encoder {
    /// Batches run one at a time: each already uses every core, and concurrent ones would only
    /// add their activations to the peak memory.
    Candle(Bert, std::sync::Mutex<()>),
    Onnx(OnnxEncoder),
}

impl std::fmt::Debug for LocalEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalEmbedder")
            .field("model", &self.inner.name)
            .field("engine", &self.engine())
            .field("dimensions", &self.inner.dimensions)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct SentenceConfig {
    max_seq_length: Option<usize>,
}

#[derive(Deserialize)]
struct PoolingConfig {
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
}

/// Where the ONNX graph of a model directory is, as the Hugging Face hub lays it out.
pub const ONNX_MODEL: &str = "onnx/model.onnx";

impl LocalEmbedder {
    /// Loads the model in `dir` (see [`crate::hub::resolve`]); `name` is recorded with vectors.
    ///
    /// With `onnx_runtime` (the path of ONNX Runtime's shared library) and the model's ONNX graph
    /// in `dir/onnx/model.onnx`, the model runs on ONNX Runtime; otherwise on candle from
    /// `model.safetensors` (with a warning when the library was given but the graph is missing).
    pub fn load(
        dir: &Path,
        name: &str,
        batch_size: usize,
        onnx_runtime: Option<&Path>,
    ) -> Result<Self, LoadError> {
        let read = |file: &str| {
            std::fs::read(dir.join(file))
                .map_err(|e| LoadError::Model(format!("{}: {e}", dir.join(file).display())))
        };
        let config: BertConfig = serde_json::from_slice(&read("config.json")?)
            .map_err(|e| LoadError::Model(format!("config.json: {e}")))?;
        if let Ok(pooling) = std::fs::read(dir.join("1_Pooling/config.json"))
            && let Ok(pooling) = serde_json::from_slice::<PoolingConfig>(&pooling)
            && !pooling.pooling_mode_mean_tokens
        {
            return Err(LoadError::Model("only mean pooling is supported".into()));
        }
        let max_tokens = std::fs::read(dir.join("sentence_bert_config.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<SentenceConfig>(&b).ok())
            .and_then(|c| c.max_seq_length)
            .unwrap_or(DEFAULT_MAX_TOKENS)
            .min(config.max_position_embeddings);
        let graph = dir.join(ONNX_MODEL);
        let encoder = match onnx_runtime {
            Some(library) if graph.is_file() => Encoder::Onnx(OnnxEncoder::load(library, &graph)?),
            _ => {
                if onnx_runtime.is_some() {
                    tracing::warn!(
                        model = %dir.display(),
                        "RAG_EMBEDDING_ONNX_RUNTIME is set but the model has no {ONNX_MODEL}; running it on candle"
                    );
                }
                let weights = read("model.safetensors")?;
                let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &device())
                    .map_err(|e| LoadError::Model(format!("model.safetensors: {e}")))?;
                let bert = Bert::load(vb, &config).map_err(|e| LoadError::Model(e.to_string()))?;
                Encoder::Candle(bert, std::sync::Mutex::new(()))
            }
        };
        let mut tokenizer = Tokenizer::from_file(dir.join("tokenizer.json"))
            .map_err(|e| LoadError::Model(format!("tokenizer.json: {e}")))?;
        // Padding happens per batch (to its longest text); truncation at the model's limit.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(tokenizers::TruncationParams {
                max_length: max_tokens,
                ..Default::default()
            }))
            .map_err(|e| LoadError::Model(format!("tokenizer: {e}")))?;
        let dimensions = config.hidden_size;
        Ok(Self {
            inner: Arc::new(Inner {
                name: name.to_owned(),
                encoder,
                tokenizer,
                max_tokens,
                dimensions,
                batch_size: batch_size.max(1),
            }),
        })
    }

    /// `onnxruntime` or `candle`: what runs the model.
    pub fn engine(&self) -> &'static str {
        match self.inner.encoder {
            Encoder::Candle(..) => "candle",
            Encoder::Onnx(_) => "onnxruntime",
        }
    }

    /// Embeds on the calling thread (blocking): texts sorted by token count, batched, padded to
    /// each batch's longest.
    pub fn embed_blocking(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, SeamError> {
        let inner = &self.inner;
        let encodings = inner
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| SeamError::Invalid(format!("cannot tokenise: {e}")))?;
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(encodings[i].get_ids().len()));
        let mut vectors = vec![Vec::new(); texts.len()];
        for batch in order.chunks(inner.batch_size) {
            let length = batch
                .iter()
                .map(|&i| encodings[i].get_ids().len())
                .max()
                .unwrap_or(1)
                .clamp(1, inner.max_tokens);
            let mut ids = Vec::with_capacity(batch.len() * length);
            let mut mask = Vec::with_capacity(batch.len() * length);
            for &i in batch {
                let tokens = encodings[i].get_ids();
                ids.extend(
                    tokens
                        .iter()
                        .copied()
                        .chain(std::iter::repeat(0))
                        .take(length),
                );
                mask.extend((0..length).map(|p| u32::from(p < tokens.len())));
            }
            let shape = (batch.len(), length);
            let out = match &inner.encoder {
                Encoder::Candle(bert, one_at_a_time) => {
                    let _running = one_at_a_time.lock().unwrap_or_else(|e| e.into_inner());
                    let run = || -> candle_core::Result<Vec<Vec<f32>>> {
                        let ids = Tensor::from_vec(ids, shape, &device())?;
                        let mask = Tensor::from_vec(mask, shape, &device())?;
                        bert.embed(&ids, &mask)?.to_vec2::<f32>()
                    };
                    run().map_err(|e| e.to_string())
                }
                Encoder::Onnx(onnx) => onnx.embed(
                    ids.into_iter().map(i64::from).collect(),
                    mask.into_iter().map(i64::from).collect(),
                    shape,
                ),
            }
            .map_err(|e| SeamError::Backend(format!("embedding failed: {e}")))?;
            for (&i, vector) in batch.iter().zip(out) {
                vectors[i] = vector;
            }
        }
        Ok(vectors)
    }
}

#[async_trait]
impl Embedder for LocalEmbedder {
    fn model(&self) -> &str {
        &self.inner.name
    }

    fn dimensions(&self) -> usize {
        self.inner.dimensions
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, SeamError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let engine = self.clone();
        let texts = texts.to_vec();
        tokio::task::spawn_blocking(move || engine.embed_blocking(&texts))
            .await
            .map_err(|e| SeamError::Backend(format!("embedding task failed: {e}")))?
    }

    async fn check(&self) -> Result<(), SeamError> {
        Ok(())
    }
}
