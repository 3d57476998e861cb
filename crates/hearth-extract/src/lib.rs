//! Hearth's content extraction: text out of documents, with pages and headings kept for citations.
//!
//! - [`formats`]: the built-in parsers — PDF, DOCX, PPTX, XLSX/XLS/ODS, CSV, HTML, Markdown, plain
//!   text and source code, EPUB and JSON — written against [`Limits`] (output size, pages, archive
//!   unpacking) so a hostile document fails with a reason instead of growing without bound.
//! - [`BuiltinExtractor`]: runs those parsers isolated. In the `hearth` binary each document is parsed
//!   by a child process of the same executable (`hearth extract-child`) under an address-space and
//!   CPU-time limit and a wall-clock timeout: a parser that panics, hangs, or explodes a zip bomb
//!   kills only that child, and the file fails with the reason. Embedded as a library (tests), the
//!   parsers run on a blocking thread with a panic guard and the same output limits.
//! - [`TikaExtractor`]: `CONTENT_EXTRACTION_ENGINE=tika`, a client of tika-server's `PUT /tika`.

mod builder;
mod child;
mod error;
pub mod formats;
mod isolate;
mod limits;
mod tika;
mod zipsafe;

use std::path::PathBuf;
use std::sync::Arc;

use hearth_config::{ContentExtractionEngine, RagSettings};
use hearth_core::seams::Extractor;

pub use child::{CHILD_COMMAND, child_main};
pub use error::ExtractError;
pub use isolate::{BuiltinExtractor, Isolation};
pub use limits::Limits;
pub use tika::TikaExtractor;

/// The extractor the settings choose. `helper` is the executable that serves `extract-child` (the
/// `hearth` binary itself); without one, built-in parsing runs in-process on a guarded thread.
pub fn open_extractor(
    rag: &RagSettings,
    helper: Option<PathBuf>,
) -> Result<Arc<dyn Extractor>, ExtractError> {
    let limits = Limits::from_settings(rag);
    match rag.content_extraction_engine {
        ContentExtractionEngine::Builtin => {
            let isolation = match helper {
                Some(program) => Isolation::Process { program },
                None => Isolation::Thread,
            };
            let concurrency = match rag.content_extraction_concurrency {
                0 => std::thread::available_parallelism().map_or(2, usize::from),
                n => n as usize,
            };
            Ok(Arc::new(BuiltinExtractor::new(isolation, limits, concurrency)))
        }
        ContentExtractionEngine::Tika => {
            let url = rag.tika_server_url.as_deref().ok_or_else(|| {
                ExtractError::Config("CONTENT_EXTRACTION_ENGINE=tika needs TIKA_SERVER_URL".into())
            })?;
            Ok(Arc::new(TikaExtractor::new(url, limits)?))
        }
        ContentExtractionEngine::Docling => Err(ExtractError::Config(
            "CONTENT_EXTRACTION_ENGINE=docling is not available in this version; use builtin or tika"
                .into(),
        )),
    }
}
