//! Embeddings from a server: OpenAI-compatible `POST {base}/embeddings` or Ollama's
//! `POST {base}/api/embed`, in batches, each retried with backoff when the server is overloaded
//! (429, 5xx) or unreachable.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use hearth_core::seams::{Embedder, SeamError};
use serde::Deserialize;
use serde_json::json;

use super::normalize;

/// Attempts per batch before the failure is reported.
const ATTEMPTS: u32 = 4;

/// Which API the server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpFlavor {
    OpenAi,
    Ollama,
}

/// An embedding server client.
#[derive(Debug)]
pub struct HttpEmbedder {
    flavor: HttpFlavor,
    client: reqwest::Client,
    endpoint: String,
    api_key: Option<String>,
    model: String,
    batch_size: usize,
    dimensions: AtomicUsize,
}

#[derive(Deserialize)]
struct OpenAiAnswer {
    data: Vec<OpenAiItem>,
}

#[derive(Deserialize)]
struct OpenAiItem {
    embedding: Vec<f32>,
    #[serde(default)]
    index: Option<usize>,
}

#[derive(Deserialize)]
struct OllamaAnswer {
    embeddings: Vec<Vec<f32>>,
}

impl HttpEmbedder {
    pub fn new(
        flavor: HttpFlavor,
        base_url: &str,
        api_key: Option<String>,
        model: &str,
        batch_size: usize,
    ) -> Result<Self, SeamError> {
        let base = base_url.trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(SeamError::Invalid(format!(
                "`{base_url}` is not an http(s) URL"
            )));
        }
        let endpoint = match flavor {
            HttpFlavor::OpenAi => format!("{base}/embeddings"),
            HttpFlavor::Ollama => format!("{base}/api/embed"),
        };
        // rustls with ring is the build's one TLS stack; installing it twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| SeamError::Backend(format!("embedding client: {e}")))?;
        Ok(Self {
            flavor,
            client,
            endpoint,
            api_key: api_key.filter(|k| !k.is_empty()),
            model: model.to_owned(),
            batch_size: batch_size.max(1),
            dimensions: AtomicUsize::new(0),
        })
    }

    fn service(&self) -> String {
        match self.flavor {
            HttpFlavor::OpenAi => "embeddings (openai)".into(),
            HttpFlavor::Ollama => "embeddings (ollama)".into(),
        }
    }

    async fn embed_batch(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, SeamError> {
        let body = json!({"model": self.model, "input": texts});
        let mut delay = Duration::from_millis(250);
        let mut attempt = 1;
        loop {
            let result = self.request(&body, texts.len()).await;
            match result {
                Err(error) if attempt < ATTEMPTS && retryable(&error) => {
                    tracing::warn!(attempt, %error, "embedding request failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn request(
        &self,
        body: &serde_json::Value,
        expected: usize,
    ) -> Result<Vec<Vec<f32>>, SeamError> {
        let mut request = self.client.post(&self.endpoint).json(body);
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.map_err(|e| {
            if e.is_timeout() {
                SeamError::Timeout {
                    service: self.service(),
                }
            } else {
                SeamError::Unavailable {
                    service: self.service(),
                    reason: e.to_string(),
                }
            }
        })?;
        let status = response.status();
        if !status.is_success() {
            let message: String = response
                .text()
                .await
                .unwrap_or_default()
                .chars()
                .take(300)
                .collect();
            return Err(SeamError::Upstream {
                service: self.service(),
                status: status.as_u16(),
                message,
            });
        }
        let bad = |e: reqwest::Error| {
            SeamError::Backend(format!(
                "{} answered something unexpected: {e}",
                self.service()
            ))
        };
        let vectors = match self.flavor {
            HttpFlavor::OpenAi => {
                let mut items = response.json::<OpenAiAnswer>().await.map_err(bad)?.data;
                items.sort_by_key(|item| item.index.unwrap_or(usize::MAX));
                items
                    .into_iter()
                    .map(|item| item.embedding)
                    .collect::<Vec<_>>()
            }
            HttpFlavor::Ollama => {
                response
                    .json::<OllamaAnswer>()
                    .await
                    .map_err(bad)?
                    .embeddings
            }
        };
        if vectors.len() != expected || vectors.iter().any(Vec::is_empty) {
            return Err(SeamError::Backend(format!(
                "{} returned {} vectors for {expected} texts",
                self.service(),
                vectors.len()
            )));
        }
        self.dimensions.store(vectors[0].len(), Ordering::Relaxed);
        Ok(vectors.into_iter().map(normalize).collect())
    }
}

fn retryable(error: &SeamError) -> bool {
    match error {
        SeamError::Unavailable { .. } | SeamError::Timeout { .. } => true,
        SeamError::Upstream { status, .. } => *status == 429 || *status >= 500,
        _ => false,
    }
}

#[async_trait]
impl Embedder for HttpEmbedder {
    fn model(&self) -> &str {
        &self.model
    }

    fn dimensions(&self) -> usize {
        self.dimensions.load(Ordering::Relaxed)
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, SeamError> {
        let mut vectors = Vec::with_capacity(texts.len());
        for batch in texts.chunks(self.batch_size) {
            vectors.extend(self.embed_batch(batch).await?);
        }
        Ok(vectors)
    }

    async fn check(&self) -> Result<(), SeamError> {
        Ok(())
    }
}
