//! Hearth's HTTP API: routes, authentication, probes, metrics and the OpenAPI document.
//!
//! [`Application::build`] turns validated [`hearth_config::Settings`] into a bound server; `main` and
//! the integration tests both call it. Handlers live in [`routes`], one module per area, and talk to
//! the data layer only through [`hearth_db::Store`].
//!
//! Invariants:
//! - This crate never touches SQL or SeaORM; it sees `hearth_core` types and `hearth_db::DbError`.
//! - Every error leaves as `{"detail": …}` with a 4xx that names the problem, or a generic 500 whose
//!   cause is logged with the request id, never sent.
//! - Handlers get the caller from an extractor that already enforced the role (see [`auth`]).

pub mod app;
pub mod auth;
pub mod chat;
pub mod error;
pub mod json;
pub mod llm;
pub mod metrics;
pub mod routes;
pub mod shared;
pub mod state;
pub mod tunables;

pub use app::{Application, StartError, check_supported};
pub use error::ApiError;
pub use state::AppState;
