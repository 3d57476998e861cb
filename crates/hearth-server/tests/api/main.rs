//! HTTP integration tests: the real server on port 0, driven over HTTP, on SQLite, PostgreSQL and
//! MariaDB (one isolated database per test).

mod admin;
mod auth;
mod bad_input;
mod chats;
mod completions;
mod concurrency;
mod configs;
mod files;
mod jobs;
mod knowledge;
mod limits;
mod models;
mod probes;
mod support;
mod tus;
