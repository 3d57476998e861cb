//! OpenAI-compatible servers (OpenAI, vLLM, llama.cpp, LM Studio, OpenRouter…): `GET /models` and a
//! streamed `POST /chat/completions` whose chunks pass through as they arrive.

use async_trait::async_trait;
use eventsource_stream::Eventsource;
use futures::StreamExt;
use hearth_core::ConnectionId;
use hearth_core::seams::{ChatChunkStream, ChatRequest, ModelInfo, ModelProvider, SeamError};
use serde_json::{Value, json};

use crate::http::{Http, shorten};

/// A connection to an OpenAI-compatible server.
#[derive(Debug)]
pub struct OpenAiProvider {
    id: ConnectionId,
    /// "model server 'name'", used in every error.
    label: String,
    /// Without a trailing slash, e.g. `https://api.openai.com/v1`.
    base_url: String,
    api_key: Option<String>,
    http: Http,
}

impl OpenAiProvider {
    pub fn new(
        id: ConnectionId,
        name: &str,
        base_url: &str,
        api_key: Option<String>,
        http: Http,
    ) -> Self {
        Self {
            id,
            label: format!("model server '{name}'"),
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key: api_key.filter(|k| !k.is_empty()),
            http,
        }
    }

    fn authorised(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.api_key {
            Some(key) => request.bearer_auth(key),
            None => request,
        }
    }
}

#[async_trait]
impl ModelProvider for OpenAiProvider {
    fn connection_id(&self) -> ConnectionId {
        self.id
    }

    async fn list_models(&self) -> Result<Vec<ModelInfo>, SeamError> {
        let request = self.authorised(self.http.client().get(format!("{}/models", self.base_url)));
        let response = self.http.send(&self.label, request).await?;
        let body: Value = response
            .json()
            .await
            .map_err(|_| invalid_json(&self.label))?;
        let models = body["data"].as_array().ok_or_else(|| {
            SeamError::Backend(format!("{} sent a model list without `data`", self.label))
        })?;
        Ok(models
            .iter()
            .filter_map(|model| {
                let id = model["id"].as_str()?.to_owned();
                let owned_by = model["owned_by"].as_str().unwrap_or("openai").to_owned();
                Some(ModelInfo { id, owned_by })
            })
            .collect())
    }

    async fn chat(&self, request: ChatRequest) -> Result<ChatChunkStream, SeamError> {
        let mut body = request.body;
        body.insert("model".into(), Value::String(request.model));
        body.insert("stream".into(), Value::Bool(true));
        // Usage arrives in a last chunk only when asked for; Hearth records it with the answer.
        body.entry("stream_options")
            .or_insert_with(|| json!({"include_usage": true}));
        let post = self.authorised(
            self.http
                .client()
                .post(format!("{}/chat/completions", self.base_url))
                .json(&body),
        );
        let response = self.http.send(&self.label, post).await?;
        let label = self.label.clone();
        let events = tokio_stream::StreamExt::timeout(
            response.bytes_stream().eventsource(),
            self.http.request_timeout,
        );
        let chunks =
            futures::stream::unfold((Box::pin(events), false), move |(mut events, finished)| {
                let label = label.clone();
                async move {
                    if finished {
                        return None;
                    }
                    let item = match events.next().await {
                        None => Err(SeamError::Unavailable {
                            service: label,
                            reason: "it closed the stream before the answer was complete".into(),
                        }),
                        Some(Err(_elapsed)) => Err(SeamError::Timeout { service: label }),
                        Some(Ok(Err(error))) => Err(SeamError::Unavailable {
                            service: label,
                            reason: format!("the stream broke ({error})"),
                        }),
                        Some(Ok(Ok(event))) if event.data.trim() == "[DONE]" => return None,
                        Some(Ok(Ok(event))) => parse_chunk(&label, &event.data),
                    };
                    let finished = item.is_err();
                    Some((item, (events, finished)))
                }
            });
        Ok(chunks.boxed())
    }
}

/// A chunk, or the error a server sent in place of one.
fn parse_chunk(label: &str, data: &str) -> Result<Value, SeamError> {
    let chunk: Value = serde_json::from_str(data).map_err(|_| invalid_json(label))?;
    if let Some(error) = chunk.get("error") {
        let message = error
            .get("message")
            .and_then(Value::as_str)
            .map_or_else(|| error.to_string(), str::to_owned);
        return Err(SeamError::Backend(format!(
            "{label} reported an error: {}",
            shorten(&message)
        )));
    }
    if !chunk.is_object() {
        return Err(invalid_json(label));
    }
    Ok(chunk)
}

pub(crate) fn invalid_json(label: &str) -> SeamError {
    SeamError::Backend(format!("{label} sent invalid JSON"))
}
