//! Chat completions, OpenAI-compatible: resolve the model for the caller, relay the answer chunk by
//! chunk as it arrives (SSE) or folded into one object, and — when the request names a `chat_id` —
//! store the question and the answer in that chat.
//!
//! Without `chat_id` the answer is tied to the client: when it goes away the upstream request is
//! dropped, which cancels it. With `chat_id` the answer belongs to the chat: a task drives it to the
//! end and stores it even if the client disconnects.

pub mod live;
mod persist;
mod rag;
mod relay;
pub mod sweep;
mod title;

use axum::Json;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use hearth_core::seams::ChatRequest;
use hearth_core::{ChatId, MessageId, User};
use hearth_models::Accumulator;
use serde::Deserialize;
use serde_json::{Map, Value};
use validator::{Validate, ValidationError, ValidationErrors};

use crate::llm::ResolvedModel;
use crate::{ApiError, AppState};

/// Largest chat request body: long histories and inline images need more than other routes.
pub const MAX_COMPLETION_BODY: usize = 16 * 1024 * 1024;

/// Roles a request's messages may have.
const ROLES: &[&str] = &[
    "system",
    "developer",
    "user",
    "assistant",
    "tool",
    "function",
];

/// An OpenAI chat completion request, plus Hearth's optional fields.
#[derive(Debug, Deserialize)]
pub struct CompletionRequest {
    pub model: String,
    pub messages: Vec<Value>,
    #[serde(default)]
    pub stream: bool,
    #[serde(default)]
    pub stream_options: Option<Value>,
    /// Store the last user message and the answer in this chat.
    #[serde(default)]
    pub chat_id: Option<ChatId>,
    /// Where the new user message goes in the chat's tree: absent continues the selected branch, a
    /// message id answers under that message (edits make siblings), `null` starts a new first
    /// message (an edit of the first question).
    #[serde(default, deserialize_with = "crate::json::double_option")]
    pub parent_id: Option<Option<MessageId>>,
    /// Answer again under `parent_id` (or under the current answer's question) without a new
    /// user message.
    #[serde(default)]
    pub regenerate: bool,
    /// Files and knowledge bases to answer from: `[{"type": "file" | "collection", "id": …}]`.
    #[serde(default)]
    pub files: Option<Vec<Value>>,
    /// Every other field (temperature, tools, …) goes to the model server unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Validate for CompletionRequest {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let mut fail = |field: &'static str, message: String| {
            errors.add(
                field,
                ValidationError::new("invalid").with_message(message.into()),
            );
        };
        if self.model.trim().is_empty() || self.model.len() > 255 {
            fail("model", "must be 1 to 255 characters".into());
        }
        if self.messages.is_empty() && !self.regenerate {
            fail("messages", "must hold at least one message".into());
        }
        for (index, message) in self.messages.iter().enumerate() {
            if let Some(problem) = message_problem(message) {
                fail("messages", format!("message {index}: {problem}"));
            }
        }
        if let Some(files) = &self.files {
            if files.len() > 100 {
                fail("files", "at most 100 files and knowledge bases".into());
            } else if let Err(ApiError::Unprocessable(problem)) = rag::parse(files) {
                fail("files", problem);
            }
        }
        if (self.parent_id.is_some() || self.regenerate) && self.chat_id.is_none() {
            fail("chat_id", "is needed with parent_id or regenerate".into());
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

fn message_problem(message: &Value) -> Option<String> {
    let Some(object) = message.as_object() else {
        return Some("must be an object".into());
    };
    match object.get("role").and_then(Value::as_str) {
        Some(role) if ROLES.contains(&role) => {}
        Some(role) => return Some(format!("unknown role `{role}`")),
        None => return Some("needs a `role`".into()),
    }
    match object.get("content") {
        Some(Value::String(_) | Value::Array(_) | Value::Null) | None => None,
        Some(_) => Some("`content` must be text or a list of content parts".into()),
    }
}

/// Answers a completion request for `caller`.
pub async fn complete(
    state: &AppState,
    caller: &User,
    request: CompletionRequest,
) -> Result<Response, ApiError> {
    let resolved = state.models.resolve(caller, &request.model).await?;
    let model_id = resolved.entry.id.clone();
    let include_usage = request
        .stream_options
        .as_ref()
        .is_some_and(|o| o["include_usage"] == Value::Bool(true));
    let sources = rag::sources(state, caller, &request).await?;
    let stored_sources =
        (!sources.is_empty()).then(|| serde_json::to_value(&sources).unwrap_or_default());
    let exchange = match request.chat_id {
        Some(chat_id) => Some(
            persist::Exchange::start(
                state,
                caller,
                chat_id,
                &request,
                &model_id,
                stored_sources.clone(),
            )
            .await?,
        ),
        None => None,
    };
    let mut body = upstream_body(&request, &resolved);
    if !sources.is_empty()
        && let Some(Value::Array(messages)) = body.get_mut("messages")
    {
        // After the administrator's and the client's system messages, before the conversation.
        let at = messages
            .iter()
            .take_while(|m| m["role"] == "system" || m["role"] == "developer")
            .count();
        messages.insert(at, rag::context_message(&sources));
    }
    let upstream_request = ChatRequest {
        model: resolved.entry.upstream_id.clone(),
        body,
    };
    let lead: Vec<relay::Frame> = if sources.is_empty() {
        Vec::new()
    } else {
        vec![relay::Frame::Chunk(rag::sources_chunk(&sources))]
    };
    let upstream = match resolved.provider.chat(upstream_request).await {
        Ok(upstream) => upstream,
        Err(error) => {
            if let Some(exchange) = exchange {
                exchange.fail(state, &error).await;
            }
            return Err(error.into());
        }
    };
    let lead = futures::stream::iter(lead);
    let with_sources = |mut completion: Value| {
        if let Some(sources) = &stored_sources {
            completion["sources"] = sources.clone();
        }
        completion
    };
    match (request.stream, exchange) {
        (true, None) => Ok(relay::sse(
            lead.chain(relay::frames(upstream)),
            model_id,
            include_usage,
        )),
        (true, Some(exchange)) => Ok(relay::sse(
            lead.chain(exchange.drive(state.clone(), upstream)),
            model_id,
            include_usage,
        )),
        (false, None) => {
            let mut answer = Accumulator::default();
            let mut upstream = upstream;
            while let Some(chunk) = upstream.next().await {
                answer.push(&chunk?);
            }
            state.metrics.record_usage(&model_id, answer.usage());
            Ok(Json(with_sources(answer.into_completion(&model_id))).into_response())
        }
        (false, Some(exchange)) => {
            // The task stores the answer even if this request is dropped; here we only wait for it.
            let mut frames = exchange.drive(state.clone(), upstream);
            let mut answer = Accumulator::default();
            while let Some(frame) = frames.next().await {
                match frame {
                    relay::Frame::Chunk(chunk) => answer.push(&chunk),
                    relay::Frame::Failed(error) => return Err(error.into()),
                }
            }
            Ok(Json(with_sources(answer.into_completion(&model_id))).into_response())
        }
    }
}

/// The body sent upstream: the client's messages and parameters (without Hearth's own fields),
/// under the administrator's defaults and system prompt.
fn upstream_body(request: &CompletionRequest, resolved: &ResolvedModel) -> Map<String, Value> {
    let mut body = Map::new();
    if let Some(settings) = &resolved.settings {
        body.extend(settings.params.clone());
    }
    body.extend(request.extra.clone());
    let mut messages = request.messages.clone();
    let system_prompt = resolved
        .settings
        .as_ref()
        .and_then(|s| s.system_prompt.as_deref());
    if let Some(prompt) = system_prompt
        && !messages
            .iter()
            .any(|m| m["role"] == "system" || m["role"] == "developer")
    {
        messages.insert(0, serde_json::json!({"role": "system", "content": prompt}));
    }
    body.insert("messages".into(), Value::Array(messages));
    body
}

/// The text of a message's content (text parts joined), for storing and titles.
pub(crate) fn content_text(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|part| part["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}
