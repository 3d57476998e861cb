//! Hearth's relational store: one schema and one query layer over SQLite, PostgreSQL and MariaDB/MySQL.
//!
//! [`Store`] is the relational seam. It speaks in the domain's words (`create_user`,
//! `session_user`, `revoke_session`) and hides SeaORM: callers see `hearth_core` types and
//! [`DbError`], never entities or SQL. The backend is chosen by the `DATABASE_URL` scheme; SQL differs
//! per dialect only in [`migrate`]'s locks, everything else is written once.
//!
//! Invariants:
//! - Every user-owned row carries `tenant_id`, and every query on such rows filters by it.
//! - On SQLite, writes go through a single-connection writer pool and reads through read-only
//!   connections, so concurrent writers queue in-process instead of failing with "database is locked".
//! - Every write transaction starts with a write, so no transaction has to upgrade a read lock.

mod accounts;
mod admin_settings;
mod api_keys;
pub mod backup;
mod chats;
mod connect;
mod connections;
mod drive;
mod entities;
mod error;
mod groups;
mod jobs;
mod knowledge;
mod migrate;
mod migrations;
mod sessions;

pub use accounts::{NewUser, RoleRule, UserPage};
pub use api_keys::{ApiKeyRecord, NewApiKey};
pub use chats::{ChatFilter, ChatPage, ChatPatch, MessageOutcome, NewMessage, normalize_tag};
pub use connect::{PoolStats, Store};
pub use connections::{ConnectionPatch, StoredConnection};
pub use drive::{ChunkRow, Claim, Completion, FileFilter, NewUpload, Progress, Usage};
pub use error::DbError;
pub use jobs::{CanarySummary, SqlJobQueue};
pub use knowledge::{KnowledgePatch, NewKnowledge, NewPassage, search_terms};
pub use migrate::MigrationReport;
pub use sessions::NewSession;
