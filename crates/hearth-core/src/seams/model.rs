//! The model provider seam: a connection to a model server that lists models and streams chat answers.

use std::fmt;

use async_trait::async_trait;
use futures::stream::BoxStream;
use serde_json::Value;

use super::SeamError;

/// A model offered by a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelInfo {
    pub id: String,
    pub owned_by: String,
}

/// One chat message; `content` is text or OpenAI-style content parts.
#[derive(Clone, Debug, PartialEq)]
pub struct ChatMessage {
    pub role: String,
    pub content: Value,
}

/// A chat completion request in provider-neutral form.
#[derive(Clone, Debug, PartialEq)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<ChatMessage>,
    /// Sampling parameters passed through (`temperature`, `max_tokens`, …).
    pub parameters: serde_json::Map<String, Value>,
}

/// A piece of a streamed answer.
#[derive(Clone, Debug, PartialEq)]
pub enum ChatEvent {
    /// Text to append to the answer.
    Delta { content: String },
    /// The answer is complete.
    Done {
        finish_reason: Option<String>,
        usage: Option<Value>,
    },
}

/// The answer as it arrives; dropping the stream cancels the upstream request.
pub type ChatEventStream = BoxStream<'static, Result<ChatEvent, SeamError>>;

/// A connection to an OpenAI-compatible or Ollama server.
#[async_trait]
pub trait ModelProvider: Send + Sync + fmt::Debug + 'static {
    /// The connection's id, used in model ids and errors.
    fn connection_id(&self) -> &str;
    async fn list_models(&self) -> Result<Vec<ModelInfo>, SeamError>;
    /// Starts a streamed chat completion.
    async fn chat(&self, request: ChatRequest) -> Result<ChatEventStream, SeamError>;
    /// Whether the server answers.
    async fn check(&self) -> Result<(), SeamError>;
}
