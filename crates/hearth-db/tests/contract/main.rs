//! The data-layer contract: every behaviour of `Store`, run against SQLite, PostgreSQL and MariaDB,
//! each test on its own freshly created database.

mod accounts;
mod chats;
mod common;
mod drive;
mod knowledge;
mod models;
