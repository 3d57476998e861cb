//! Model servers: providers for OpenAI-compatible and Ollama connections (the `ModelProvider` seam),
//! the catalogue that aggregates their models, the accumulator that folds streamed answers, and the
//! cipher that keeps stored provider keys encrypted.
//!
//! Invariants: knows nothing about HTTP routes, users or the database; it is given connections with
//! plaintext keys and answers in OpenAI's chunk shape.

pub mod catalogue;
pub mod cipher;
pub mod completion;
mod http;
pub mod ollama;
pub mod openai;

pub use catalogue::{Catalogue, CatalogueEntry, ConnectionHealth, Snapshot};
pub use cipher::{KeyCipher, UndecryptableSecret};
pub use completion::Accumulator;
pub use http::{Http, HttpOptions};
