//! The bounds every extraction runs under.

use std::time::Duration;

use hearth_config::RagSettings;
use serde::{Deserialize, Serialize};

/// Bounds on one document's extraction. The parsers enforce the output, page and archive bounds
/// themselves; time and memory are enforced around them (see `isolate`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub timeout: Duration,
    /// Address space of the child process that parses, in bytes.
    pub max_memory: u64,
    /// Characters of text kept from a document.
    pub max_chars: usize,
    pub max_pages: u32,
    /// Bytes all of an archive's entries may unpack to.
    pub max_unpacked: u64,
    /// Largest unpacked-to-packed ratio of one archive entry.
    pub max_ratio: u64,
}

impl Limits {
    /// The limits the settings give.
    pub fn from_settings(rag: &RagSettings) -> Self {
        const MB: u64 = 1024 * 1024;
        Self {
            timeout: rag.content_extraction_timeout.0,
            max_memory: rag.content_extraction_max_memory.saturating_mul(MB),
            max_chars: usize::try_from(rag.content_extraction_max_chars).unwrap_or(usize::MAX),
            max_pages: rag.content_extraction_max_pages,
            max_unpacked: rag.content_extraction_max_unpacked.saturating_mul(MB),
            max_ratio: 100,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::from_settings(&RagSettings::default())
    }
}
