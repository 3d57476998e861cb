//! What can go wrong extracting one document.

use hearth_core::seams::SeamError;

/// Why a document yielded no text. Every variant but `Unavailable` and `Config` is the document's own
/// fault: the file fails with this reason and retrying will not help.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// No parser reads this kind of file.
    #[error("{0}")]
    Unsupported(String),
    /// The document is damaged or not what its name says.
    #[error("{0}")]
    Invalid(String),
    /// The document exceeds a limit (size, pages, unpacked size, time, memory).
    #[error("{0}")]
    Limit(String),
    /// The parser failed (panicked or was killed) on this document.
    #[error("{0}")]
    Crashed(String),
    /// The extraction service could not be reached; retrying later may succeed.
    #[error("{0}")]
    Unavailable(String),
    /// The configuration cannot work.
    #[error("{0}")]
    Config(String),
}

impl From<ExtractError> for SeamError {
    fn from(error: ExtractError) -> Self {
        match error {
            ExtractError::Unavailable(reason) => SeamError::Unavailable {
                service: "content extraction".into(),
                reason,
            },
            ExtractError::Config(reason) => SeamError::Backend(reason),
            other => SeamError::Invalid(other.to_string()),
        }
    }
}
