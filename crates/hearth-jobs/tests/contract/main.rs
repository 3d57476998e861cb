//! The job queue contract, run against every backend: SQLite, PostgreSQL, MariaDB (the database
//! queue) and Redis. Queue-level tests pass the clock in, so leases and backoff are checked without
//! waiting; the worker tests run a real pool.

mod common;
mod queue;
mod workers;
