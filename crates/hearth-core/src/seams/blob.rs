//! The blob store seam: immutable objects by key (local disk, S3, GCS, Azure).

use std::fmt;
use std::ops::Range;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;

use super::SeamError;

/// A stream of an object's bytes.
pub type ByteStream = BoxStream<'static, Result<Bytes, SeamError>>;

/// An object key such as `chunks/{tenant}/{h[0:2]}/{h[2:4]}/{h}`: relative, `/`-separated, made of
/// ASCII letters, digits, `-`, `_` and `.`, with no empty, `.` or `..` segment. Keys never contain a
/// user-identifying name.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BlobKey(String);

/// A key that breaks [`BlobKey`]'s rules.
#[derive(Debug, thiserror::Error)]
#[error("invalid blob key `{0}`")]
pub struct InvalidBlobKey(pub String);

impl BlobKey {
    /// Checks and wraps a key.
    pub fn new(key: impl Into<String>) -> Result<Self, InvalidBlobKey> {
        let key = key.into();
        let valid_segment = |segment: &str| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        };
        if key.split('/').all(valid_segment) {
            Ok(Self(key))
        } else {
            Err(InvalidBlobKey(key))
        }
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobKey({})", self.0)
    }
}

/// What the store knows about an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobMeta {
    pub key: BlobKey,
    pub size: u64,
    /// When the object was last written, Unix seconds.
    pub modified_at: i64,
}

/// Immutable objects by key. Objects are bounded in size (content chunks, pending upload tails,
/// avatars), so `put` takes the whole object; large files are many objects (see the drive).
///
/// Implementations must make `put` atomic (a reader sees all of an object or none of it) and
/// `delete` idempotent.
#[async_trait]
pub trait BlobStore: Send + Sync + fmt::Debug + 'static {
    /// The backend's name (`local`, `s3`, …) for logs and metrics.
    fn backend(&self) -> &'static str;
    /// Stores an object, replacing any object with the same key.
    async fn put(&self, key: &BlobKey, data: Bytes) -> Result<(), SeamError>;
    /// Reads an object, or the byte range of it; [`SeamError::NotFound`] when it does not exist.
    async fn get(&self, key: &BlobKey, range: Option<Range<u64>>) -> Result<ByteStream, SeamError>;
    /// Describes an object, or `None` when it does not exist.
    async fn head(&self, key: &BlobKey) -> Result<Option<BlobMeta>, SeamError>;
    /// Deletes an object; deleting a missing object succeeds.
    async fn delete(&self, key: &BlobKey) -> Result<(), SeamError>;
    /// Every object under a prefix (`chunks/`, `uploads/{id}/`), for garbage collection and checks.
    async fn list(&self, prefix: &str) -> Result<Vec<BlobMeta>, SeamError>;
    /// Whether the store answers (and accepts our credentials), for `/ready`.
    async fn check(&self) -> Result<(), SeamError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_escape_or_carry_odd_characters() {
        assert!(BlobKey::new("chunks/0000/ab/cd/abcdef").is_ok());
        for bad in [
            "",
            "/abs",
            "a//b",
            "a/../b",
            "..",
            "a/./b",
            "name with space",
            "ü",
            "a\\b",
        ] {
            assert!(BlobKey::new(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
