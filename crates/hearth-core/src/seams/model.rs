//! The model provider seam: a connection to a model server that lists models and streams chat answers.
//!
//! Answers travel in OpenAI's chat-completion chunk shape whatever the server speaks: an
//! OpenAI-compatible server's chunks pass through untouched (tool calls, logprobs…), other protocols
//! (Ollama) are translated into it. Hearth's own API is OpenAI's, so nothing is lost on the way.

use std::fmt;

use async_trait::async_trait;
use futures::stream::BoxStream;
use serde_json::{Map, Value};

use super::SeamError;
use crate::ConnectionId;

/// A model offered by a connection, by its id on that server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelInfo {
    pub id: String,
    pub owned_by: String,
}

/// A chat completion request: the OpenAI request body (messages, sampling parameters, tools…)
/// without `model`, `stream` and Hearth's own fields, and the model's id on the server.
#[derive(Clone, Debug, PartialEq)]
pub struct ChatRequest {
    pub model: String,
    pub body: Map<String, Value>,
}

/// One `chat.completion.chunk` object.
pub type ChatChunk = Value;

/// The answer as it arrives; dropping the stream cancels the upstream request.
pub type ChatChunkStream = BoxStream<'static, Result<ChatChunk, SeamError>>;

/// A connection to an OpenAI-compatible or Ollama server.
#[async_trait]
pub trait ModelProvider: Send + Sync + fmt::Debug + 'static {
    /// The connection this provider serves.
    fn connection_id(&self) -> ConnectionId;
    /// The models the server offers.
    async fn list_models(&self) -> Result<Vec<ModelInfo>, SeamError>;
    /// Starts a streamed chat completion. Fails before streaming when the server refuses the request
    /// or cannot be reached; failures during the stream arrive as its items.
    async fn chat(&self, request: ChatRequest) -> Result<ChatChunkStream, SeamError>;
}
