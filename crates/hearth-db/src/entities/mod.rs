//! SeaORM entities: the tables as Rust types. Private to the crate; callers see `hearth_core` types.
// The derive macros generate `pub` items that are only reachable inside this crate.
#![allow(unreachable_pub, missing_debug_implementations)]

pub(crate) mod api_key;
pub(crate) mod session;
pub(crate) mod tenant;
pub(crate) mod user;
