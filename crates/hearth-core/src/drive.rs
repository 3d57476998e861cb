//! The drive's vocabulary: files (and their uploads while they last), folders, and content chunks.
//!
//! A file's bytes are an ordered list of content chunks; a chunk is stored once per tenant under a key
//! made of its SHA-256 alone (see [`chunk_key`]), whoever uploaded it and under whatever name.

use serde::{Deserialize, Serialize};

use crate::seams::BlobKey;
use crate::{DriveFolderId, FileId, TenantId, UserId};

/// Where a file stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileState {
    /// Bytes are still arriving (a resumable upload, or a form upload in flight).
    Uploading,
    /// Every byte is stored; the file can be read.
    Ready,
}

impl FileState {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FileState::Uploading => "uploading",
            FileState::Ready => "ready",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "uploading" => Some(FileState::Uploading),
            "ready" => Some(FileState::Ready),
            _ => None,
        }
    }
}

/// A file of the drive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredFile {
    pub id: FileId,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub folder_id: Option<DriveFolderId>,
    /// The sanitised name shown to people; never part of a storage key.
    pub filename: String,
    /// Sniffed from the content once the upload is complete (until then, guessed from the name).
    pub content_type: String,
    pub state: FileState,
    /// The declared length of a resumable upload, or the size once ready; `None` while a form
    /// upload streams.
    pub length: Option<u64>,
    /// Bytes stored so far (the size, once ready).
    pub offset: u64,
    /// The tus `Upload-Metadata` header as the client sent it (echoed on `HEAD`).
    pub upload_metadata: Option<String>,
    /// Quota already counted for this file.
    pub reserved_bytes: u64,
    /// Size of every chunk but the last.
    pub chunk_size: u32,
    /// Object holding the bytes after the last whole chunk of an unfinished upload.
    pub tail_key: Option<String>,
    /// A strong validator of the content (SHA-256 over the chunk hashes), once ready.
    pub etag: Option<String>,
    /// When an unfinished upload is discarded, Unix seconds.
    pub expires_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl StoredFile {
    /// The size of a ready file (bytes stored so far while uploading).
    pub fn size(&self) -> u64 {
        self.offset
    }
}

/// One chunk position of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkRef {
    pub seq: u32,
    /// SHA-256 of the chunk, lowercase hex.
    pub hash: String,
    pub size: u32,
}

/// A folder of the drive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DriveFolder {
    pub id: DriveFolderId,
    pub parent_id: Option<DriveFolderId>,
    pub name: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The key of a content chunk: `chunks/{tenant}/{h[0:2]}/{h[2:4]}/{h}`. Only the tenant and the hash
/// appear in it: no user, no file name.
pub fn chunk_key(tenant_id: TenantId, hash: &str) -> BlobKey {
    let key = format!(
        "chunks/{tenant_id}/{}/{}/{hash}",
        hash.get(0..2).unwrap_or("00"),
        hash.get(2..4).unwrap_or("00")
    );
    BlobKey::new(key).expect("tenant ids and hex hashes make valid keys")
}

/// The prefix under which an unfinished upload keeps its pending parts: `uploads/{file_id}/`.
pub fn upload_prefix(file_id: FileId) -> String {
    format!("uploads/{file_id}/")
}

/// The key of a user's avatar: `avatars/{tenant}/{user}`.
pub fn avatar_key(tenant_id: TenantId, user_id: UserId) -> BlobKey {
    BlobKey::new(format!("avatars/{tenant_id}/{user_id}")).expect("ids make valid keys")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_keys_fan_out_by_hash_and_name_nobody() {
        let hash = "ab12cd34ef";
        let key = chunk_key(TenantId::DEFAULT, hash);
        assert_eq!(
            key.as_str(),
            "chunks/00000000-0000-0000-0000-000000000000/ab/12/ab12cd34ef"
        );
    }
}
