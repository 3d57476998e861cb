//! What can go wrong in knowledge and retrieval.

use hearth_core::seams::SeamError;
use hearth_db::DbError;

/// A knowledge failure: the document's own (the file fails with the reason) or a service's
/// (retry later).
#[derive(Debug, thiserror::Error)]
pub enum RagError {
    /// The document cannot be indexed as it is.
    #[error("{0}")]
    Document(String),
    /// A backing service failed.
    #[error("{0}")]
    Service(String),
    #[error(transparent)]
    Seam(#[from] SeamError),
    #[error(transparent)]
    Database(#[from] DbError),
}
