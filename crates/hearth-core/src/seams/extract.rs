//! The content extraction seam: text out of documents, with pages and headings kept for citations.

use std::fmt;

use async_trait::async_trait;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::SeamError;

/// A document to extract.
#[derive(Clone, Debug)]
pub struct ExtractInput {
    pub filename: String,
    /// The sniffed content type, when known.
    pub content_type: Option<String>,
    pub data: Bytes,
}

/// A run of text with where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractedSection {
    pub text: String,
    /// 1-based page number (PDF, slides).
    pub page: Option<u32>,
    /// The nearest heading above the text (Markdown, HTML, DOCX, EPUB chapters).
    pub heading: Option<String>,
}

/// A document's text in reading order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtractedDocument {
    pub sections: Vec<ExtractedSection>,
    pub title: Option<String>,
}

/// Turns documents into text. Implementations must bound time, memory and output, so a hostile or
/// broken document fails alone (with [`SeamError::Invalid`]) and never takes the process down.
#[async_trait]
pub trait Extractor: Send + Sync + fmt::Debug + 'static {
    /// The engine's name (`builtin`, `tika`, `docling`).
    fn engine(&self) -> &'static str;
    async fn extract(&self, input: ExtractInput) -> Result<ExtractedDocument, SeamError>;
    /// Whether the engine answers, for `/ready`.
    async fn check(&self) -> Result<(), SeamError>;
}
