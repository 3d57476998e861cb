//! Hearth's built-in embedding engine: a sentence-transformers BERT model (all-MiniLM-L6-v2 class:
//! `model.safetensors`, `config.json`, `tokenizer.json`) run on the CPU with candle, or with ONNX
//! Runtime when its library and the model's ONNX graph are there.
//!
//! - [`hub`]: finds the model — a directory, the Hugging Face cache, or a download from the hub.
//! - [`bert`]: the encoder, written on candle's fused CPU kernels (one matrix product for Q, K and
//!   V, last-dimension softmax and layer norm), mean-pooled over the attention mask and normalised.
//! - [`onnx`]: the same model as an ONNX graph on ONNX Runtime, loaded at run time.
//! - [`LocalEmbedder`]: the [`Embedder`](hearth_core::seams::Embedder): tokenises, sorts texts by
//!   length so batches carry little padding, and runs batches on blocking threads.

mod bert;
mod embedder;
pub mod hub;
mod onnx;

pub use embedder::{LoadError, LocalEmbedder, ONNX_MODEL};
