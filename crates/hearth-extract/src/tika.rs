//! `CONTENT_EXTRACTION_ENGINE=tika`: documents go to an Apache Tika server (`PUT /tika`), which
//! answers XHTML; its `<div class="page">` marks (PDF) and slide divs give page numbers and its
//! `<h1>`… give headings.

use std::time::Duration;

use async_trait::async_trait;
use hearth_core::seams::{ExtractInput, ExtractedDocument, Extractor, SeamError};

use crate::formats::html;
use crate::{ExtractError, Limits};

/// A client of tika-server.
#[derive(Clone, Debug)]
pub struct TikaExtractor {
    client: reqwest::Client,
    endpoint: String,
    limits: Limits,
}

impl TikaExtractor {
    /// A client of the Tika server at `url` (e.g. `http://tika:9998`).
    pub fn new(url: &str, limits: Limits) -> Result<Self, ExtractError> {
        // rustls with ring is the build's one TLS stack; installing it twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(limits.timeout)
            .build()
            .map_err(|e| ExtractError::Config(format!("cannot build the Tika client: {e}")))?;
        let base = url.trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ExtractError::Config(format!(
                "TIKA_SERVER_URL must be an http(s) URL, not `{url}`"
            )));
        }
        Ok(Self {
            client,
            endpoint: format!("{base}/tika"),
            limits,
        })
    }

    /// Extracts through Tika, reporting the document's own failures as [`ExtractError`].
    pub async fn extract_document(
        &self,
        input: ExtractInput,
    ) -> Result<ExtractedDocument, ExtractError> {
        let mut request = self
            .client
            .put(&self.endpoint)
            .header("Accept", "text/html")
            .header(
                "Content-Disposition",
                format!("attachment; filename=\"{}\"", ascii_name(&input.filename)),
            );
        if let Some(content_type) = &input.content_type {
            request = request.header("Content-Type", content_type);
        }
        let response = request.body(input.data).send().await.map_err(|e| {
            if e.is_timeout() {
                ExtractError::Limit(format!(
                    "Tika took longer than {} s",
                    self.limits.timeout.as_secs()
                ))
            } else {
                ExtractError::Unavailable(format!("Tika cannot be reached: {e}"))
            }
        })?;
        let status = response.status();
        if status.is_client_error() {
            return Err(if status.as_u16() == 415 {
                ExtractError::Unsupported("Tika has no parser for this document".into())
            } else {
                ExtractError::Invalid(format!("Tika could not parse the document ({status})"))
            });
        }
        if !status.is_success() {
            return Err(ExtractError::Unavailable(format!("Tika answered {status}")));
        }
        let max_bytes = (self.limits.max_chars as u64).saturating_mul(8);
        if response.content_length().is_some_and(|n| n > max_bytes) {
            return Err(ExtractError::Limit(
                "the extracted text is too large".into(),
            ));
        }
        let xhtml = response
            .text()
            .await
            .map_err(|e| ExtractError::Unavailable(format!("Tika's answer was cut off: {e}")))?;
        html::extract(xhtml, &self.limits, true)
    }
}

#[async_trait]
impl Extractor for TikaExtractor {
    fn engine(&self) -> &'static str {
        "tika"
    }

    async fn extract(&self, input: ExtractInput) -> Result<ExtractedDocument, SeamError> {
        Ok(self.extract_document(input).await?)
    }

    async fn check(&self) -> Result<(), SeamError> {
        let unavailable = |reason: String| SeamError::Unavailable {
            service: "tika".into(),
            reason,
        };
        let response = self
            .client
            .get(&self.endpoint)
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(unavailable(format!(
                "GET /tika answered {}",
                response.status()
            )))
        }
    }
}

/// The filename with anything but printable ASCII replaced, for a header value.
fn ascii_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
