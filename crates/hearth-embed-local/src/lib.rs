//! Hearth's built-in embedding engine: a sentence-transformers BERT model (all-MiniLM-L6-v2 class:
//! `model.safetensors`, `config.json`, `tokenizer.json`) run on the CPU with candle.
//!
//! - [`hub`]: finds the model — a directory, the Hugging Face cache, or a download from the hub.
//! - [`bert`]: the encoder, written on candle's fused CPU kernels (one matrix product for Q, K and
//!   V, last-dimension softmax and layer norm), mean-pooled over the attention mask and normalised.
//! - [`LocalEmbedder`]: the [`Embedder`](hearth_core::seams::Embedder): tokenises, sorts texts by
//!   length so batches carry little padding, and runs batches on blocking threads.

mod bert;
mod embedder;
pub mod hub;

pub use embedder::{LoadError, LocalEmbedder};
