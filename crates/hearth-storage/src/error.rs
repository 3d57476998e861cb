//! The drive's error type: each variant is a reason the HTTP layer can answer with a fitting status.

use hearth_core::seams::SeamError;
use hearth_db::DbError;

/// Why a drive operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DriveError {
    /// No such file, upload or folder for this caller.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The unfinished upload expired and was discarded.
    #[error("the upload expired and was discarded; start a new one")]
    Expired,
    /// The client's offset is not where the upload stands.
    #[error("Upload-Offset is {sent} but the upload is at {actual}")]
    OffsetMismatch { sent: u64, actual: u64 },
    /// A size limit (`FILE_MAX_SIZE`, the declared length) was passed.
    #[error("{0}")]
    TooLarge(String),
    /// The user's storage quota would be passed.
    #[error("the storage quota is exceeded: {used} of {quota} bytes used, {needed} more needed")]
    QuotaExceeded { used: u64, quota: u64, needed: u64 },
    /// The file's type is not accepted (`FILE_ALLOWED_EXTENSIONS`, avatars that are not images).
    #[error("{0}")]
    UnsupportedType(String),
    /// Input that breaks a rule (a path as a name, an empty file, too many files).
    #[error("{0}")]
    Invalid(String),
    /// A malformed request (an unknown checksum algorithm, a bad header).
    #[error("{0}")]
    BadRequest(String),
    /// The bytes do not match the checksum the client sent; nothing of them was kept.
    #[error("the checksum does not match the bytes received")]
    ChecksumMismatch,
    /// The request body ended early; what arrived before was kept (resumable uploads).
    #[error("the request body ended early: {0}")]
    BodyEnded(String),
    /// Another request holds this upload, or the file changed meanwhile.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Database(DbError),
    #[error(transparent)]
    Storage(#[from] SeamError),
}

impl From<DbError> for DriveError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::NotFound(what) => DriveError::NotFound(what),
            DbError::Conflict(message) => DriveError::Conflict(message),
            DbError::QuotaExceeded { used, quota } => DriveError::QuotaExceeded {
                used,
                quota,
                needed: 0,
            },
            other => DriveError::Database(other),
        }
    }
}
