//! Ollama's native API: `GET /api/tags` and a streamed `POST /api/chat` (NDJSON), translated to and
//! from OpenAI's shapes both ways.

use async_trait::async_trait;
use bytes::{Buf, BytesMut};
use futures::StreamExt;
use hearth_core::ConnectionId;
use hearth_core::seams::{ChatChunkStream, ChatRequest, ModelInfo, ModelProvider, SeamError};
use hearth_core::time::unix_now;
use serde_json::{Map, Value, json};

use crate::http::{Http, shorten};
use crate::openai::invalid_json;

/// A connection to an Ollama server.
#[derive(Debug)]
pub struct OllamaProvider {
    id: ConnectionId,
    label: String,
    base_url: String,
    http: Http,
}

impl OllamaProvider {
    pub fn new(id: ConnectionId, name: &str, base_url: &str, http: Http) -> Self {
        Self {
            id,
            label: format!("model server '{name}'"),
            base_url: base_url.trim_end_matches('/').to_owned(),
            http,
        }
    }
}

#[async_trait]
impl ModelProvider for OllamaProvider {
    fn connection_id(&self) -> ConnectionId {
        self.id
    }

    async fn list_models(&self) -> Result<Vec<ModelInfo>, SeamError> {
        let response = self
            .http
            .send(
                &self.label,
                self.http
                    .client()
                    .get(format!("{}/api/tags", self.base_url)),
            )
            .await?;
        let body: Value = response
            .json()
            .await
            .map_err(|_| invalid_json(&self.label))?;
        let models = body["models"].as_array().ok_or_else(|| {
            SeamError::Backend(format!("{} sent a model list without `models`", self.label))
        })?;
        Ok(models
            .iter()
            .filter_map(|m| {
                Some(ModelInfo {
                    id: m["name"].as_str()?.to_owned(),
                    owned_by: "ollama".into(),
                })
            })
            .collect())
    }

    async fn chat(&self, request: ChatRequest) -> Result<ChatChunkStream, SeamError> {
        let body = to_ollama(&request.model, &request.body);
        let post = self
            .http
            .client()
            .post(format!("{}/api/chat", self.base_url))
            .json(&body);
        let response = self.http.send(&self.label, post).await?;
        let bytes = Box::pin(tokio_stream::StreamExt::timeout(
            response.bytes_stream(),
            self.http.request_timeout,
        ));
        let state = Translation {
            label: self.label.clone(),
            id: format!("chatcmpl-{}", uuid::Uuid::now_v7().simple()),
            created: unix_now(),
            model: request.model,
            sent_role: false,
            done: false,
            pending: Vec::new(),
        };
        let chunks = futures::stream::unfold(
            (bytes, BytesMut::new(), state, false),
            |(mut bytes, mut buffer, mut state, finished)| async move {
                loop {
                    if let Some(chunk) = state.pending.pop() {
                        let finished = finished || chunk.is_err();
                        return Some((chunk, (bytes, buffer, state, finished)));
                    }
                    if finished {
                        return None;
                    }
                    if let Some(end) = buffer.iter().position(|b| *b == b'\n') {
                        let line = buffer.split_to(end + 1);
                        let line = line.chunk().trim_ascii();
                        if !line.is_empty() {
                            state.translate(line);
                        }
                        continue;
                    }
                    match bytes.next().await {
                        Some(Ok(Ok(data))) => buffer.extend_from_slice(&data),
                        Some(Ok(Err(error))) => state.fail(SeamError::Unavailable {
                            service: state.label.clone(),
                            reason: format!("the stream broke ({error})"),
                        }),
                        Some(Err(_elapsed)) => state.fail(SeamError::Timeout {
                            service: state.label.clone(),
                        }),
                        None if state.done => return None,
                        None => state.fail(SeamError::Unavailable {
                            service: state.label.clone(),
                            reason: "it closed the stream before the answer was complete".into(),
                        }),
                    }
                }
            },
        );
        Ok(chunks.boxed())
    }
}

/// Turns Ollama's NDJSON lines into OpenAI chunks. `pending` holds chunks ready to send, last first.
struct Translation {
    label: String,
    id: String,
    created: i64,
    model: String,
    sent_role: bool,
    /// The final line (`"done": true`) arrived.
    done: bool,
    pending: Vec<Result<Value, SeamError>>,
}

impl Translation {
    fn chunk(&self, delta: Value, finish_reason: Value) -> Value {
        json!({"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]})
    }

    fn translate(&mut self, line: &[u8]) {
        let Ok(value) = serde_json::from_slice::<Value>(line) else {
            return self.fail(invalid_json(&self.label));
        };
        if let Some(error) = value.get("error") {
            let message = error
                .as_str()
                .map_or_else(|| error.to_string(), str::to_owned);
            return self.fail(SeamError::Backend(format!(
                "{} reported an error: {}",
                self.label,
                shorten(&message)
            )));
        }
        let mut out = Vec::new();
        let content = value["message"]["content"].as_str().unwrap_or_default();
        if !content.is_empty() || !self.sent_role {
            let delta = if self.sent_role {
                json!({"content": content})
            } else {
                json!({"role": "assistant", "content": content})
            };
            self.sent_role = true;
            out.push(self.chunk(delta, Value::Null));
        }
        if value["done"] == Value::Bool(true) {
            let reason = value["done_reason"].as_str().unwrap_or("stop").to_owned();
            out.push(self.chunk(json!({}), Value::String(reason)));
            let (prompt, completion) = (
                value["prompt_eval_count"].as_u64().unwrap_or(0),
                value["eval_count"].as_u64().unwrap_or(0),
            );
            out.push(json!({"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model, "choices": [],
                            "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}}));
            self.done = true;
        }
        // `pending` is popped from the back.
        self.pending.extend(out.into_iter().rev().map(Ok));
    }

    fn fail(&mut self, error: SeamError) {
        self.pending.insert(0, Err(error));
    }
}

/// The Ollama request for an OpenAI request body.
fn to_ollama(model: &str, body: &Map<String, Value>) -> Value {
    let messages: Vec<Value> = body
        .get("messages")
        .and_then(Value::as_array)
        .map(|messages| messages.iter().map(to_ollama_message).collect())
        .unwrap_or_default();
    let mut options = Map::new();
    for (openai, ollama) in [
        ("temperature", "temperature"),
        ("top_p", "top_p"),
        ("seed", "seed"),
        ("stop", "stop"),
        ("frequency_penalty", "frequency_penalty"),
        ("presence_penalty", "presence_penalty"),
        ("max_tokens", "num_predict"),
        ("max_completion_tokens", "num_predict"),
    ] {
        if let Some(value) = body.get(openai).filter(|v| !v.is_null()) {
            let value = if openai == "stop" && value.is_string() {
                json!([value])
            } else {
                value.clone()
            };
            options.insert(ollama.to_owned(), value);
        }
    }
    json!({"model": model, "messages": messages, "stream": true, "options": options})
}

/// Text content parts are joined; `data:` image URLs become Ollama's base64 `images`.
fn to_ollama_message(message: &Value) -> Value {
    let role = message["role"].as_str().unwrap_or("user");
    let mut images = Vec::new();
    let content = match &message["content"] {
        Value::String(text) => text.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|part| match part["type"].as_str() {
                Some("text") => part["text"].as_str().map(str::to_owned),
                Some("image_url") => {
                    let url = part["image_url"]["url"].as_str().unwrap_or_default();
                    if let Some((_, data)) = url.split_once(";base64,") {
                        images.push(Value::String(data.to_owned()));
                    }
                    None
                }
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    };
    let mut out = json!({"role": role, "content": content});
    if !images.is_empty() {
        out["images"] = Value::Array(images);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_requests_translate_to_ollama() {
        let body = json!({
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": [{"type": "text", "text": "What is this?"},
                                             {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}
            ],
            "temperature": 0.2, "max_tokens": 64, "stop": "END", "user": "ignored"
        });
        let translated = to_ollama("llama3", body.as_object().unwrap());
        assert_eq!(translated["model"], "llama3");
        assert_eq!(translated["stream"], true);
        assert_eq!(
            translated["messages"][0],
            json!({"role": "system", "content": "Be brief."})
        );
        assert_eq!(
            translated["messages"][1],
            json!({"role": "user", "content": "What is this?", "images": ["AAAA"]})
        );
        assert_eq!(
            translated["options"],
            json!({"temperature": 0.2, "num_predict": 64, "stop": ["END"]})
        );
    }
}
