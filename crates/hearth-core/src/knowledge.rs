//! Knowledge: knowledge bases (sets of files), each file's ingestion state, and the passages that
//! retrieval returns and answers cite.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::connection::AccessList;
use crate::{FileId, GroupId, KnowledgeId, Role, TenantId, User, UserId};

/// A knowledge base. Its owner and administrators may change it; `write_access` grants that to
/// others, `read_access` lets others search it and attach it to chats.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnowledgeBase {
    pub id: KnowledgeId,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub name: String,
    pub description: String,
    pub read_access: AccessList,
    pub write_access: AccessList,
    pub created_at: i64,
    pub updated_at: i64,
}

impl KnowledgeBase {
    /// Whether `user` (a member of `groups`) may search the knowledge base.
    pub fn readable_by(&self, user: &User, groups: &[GroupId]) -> bool {
        self.writable_by(user, groups) || self.read_access.allows(user.id, groups)
    }

    /// Whether `user` may rename it, add or remove files, or delete it.
    pub fn writable_by(&self, user: &User, groups: &[GroupId]) -> bool {
        user.tenant_id == self.tenant_id
            && (user.role == Role::Admin
                || user.id == self.user_id
                || self.write_access.allows(user.id, groups))
    }
}

/// Where a file is in ingestion (extract → chunk → embed → index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IngestStatus {
    /// Waiting for its job.
    Pending,
    /// Its job is running.
    Processing,
    /// Searchable.
    Ready,
    /// Failed for good, with a reason.
    Failed,
}

impl IngestStatus {
    pub const ALL: [IngestStatus; 4] = [
        IngestStatus::Pending,
        IngestStatus::Processing,
        IngestStatus::Ready,
        IngestStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IngestStatus::Pending => "pending",
            IngestStatus::Processing => "processing",
            IngestStatus::Ready => "ready",
            IngestStatus::Failed => "failed",
        }
    }

    /// Whether the file will not change state again without new work.
    pub fn is_settled(self) -> bool {
        matches!(self, IngestStatus::Ready | IngestStatus::Failed)
    }
}

impl fmt::Display for IngestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IngestStatus {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        IngestStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == name)
            .ok_or_else(|| format!("`{name}` is not an ingestion status"))
    }
}

/// A file's ingestion record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileIngestion {
    pub file_id: FileId,
    pub tenant_id: TenantId,
    pub status: IngestStatus,
    /// Why it failed.
    pub error: Option<String>,
    /// Passages stored for it.
    pub passages: u32,
    /// The embedding model its vectors were made with.
    pub embedding_model: Option<String>,
    pub updated_at: i64,
}

/// A passage of a file: what retrieval finds and answers cite.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Passage {
    /// `{file_id}:{seq}`: stable, so re-ingesting a file replaces its passages instead of adding.
    pub id: String,
    pub tenant_id: TenantId,
    pub file_id: FileId,
    /// Position in the file, from 0.
    pub seq: u32,
    pub text: String,
    pub page: Option<u32>,
    pub heading: Option<String>,
}

impl Passage {
    /// The id of a file's passage number `seq`.
    pub fn id_of(file_id: FileId, seq: u32) -> String {
        format!("{file_id}:{seq}")
    }
}
