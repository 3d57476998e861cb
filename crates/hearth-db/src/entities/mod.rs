//! SeaORM entities: the tables as Rust types. Private to the crate; callers see `hearth_core` types.
// The derive macros generate `pub` items that are only reachable inside this crate.
#![allow(unreachable_pub, missing_debug_implementations)]

pub(crate) mod admin_setting;
pub(crate) mod api_key;
pub(crate) mod avatar;
pub(crate) mod blob_chunk;
pub(crate) mod chat;
pub(crate) mod chat_share;
pub(crate) mod chat_tag;
pub(crate) mod connection;
pub(crate) mod drive_folder;
pub(crate) mod file;
pub(crate) mod file_chunk;
pub(crate) mod file_ingestion;
pub(crate) mod folder;
pub(crate) mod group;
pub(crate) mod group_member;
pub(crate) mod job;
pub(crate) mod job_canary;
pub(crate) mod knowledge_base;
pub(crate) mod knowledge_file;
pub(crate) mod message;
pub(crate) mod model_override;
pub(crate) mod passage;
pub(crate) mod session;
pub(crate) mod storage_usage;
pub(crate) mod tenant;
pub(crate) mod user;
