//! Hearth's domain vocabulary and its seams.
//!
//! This crate names the things Hearth is about (tenants, users, roles) and declares, as traits, every
//! place where a deployment swaps one backend for another: the blob store, vector index, job queue,
//! coordination bus, content extractor, embedder and model provider. It performs no I/O and knows
//! nothing of HTTP, SQL or any particular backend; those live in the crates that implement the seams.

pub mod chat;
pub mod connection;
pub mod drive;
pub mod ids;
pub mod knowledge;
pub mod seams;
pub mod time;
pub mod user;

pub use ids::{
    ApiKeyId, ChatId, ConnectionId, DriveFolderId, FileId, FolderId, GroupId, KnowledgeId,
    MessageId, SessionId, TenantId, UserId,
};
pub use user::{Role, User, default_name, normalize_email};
