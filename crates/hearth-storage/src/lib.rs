//! Hearth's drive: where file bytes live and how they get there.
//!
//! - [`blob`]: the blob store seam over `object_store` — local disk (`DATA_DIR/files`), S3 and
//!   S3-compatible servers, GCS and Azure — chosen by `STORAGE_PROVIDER`.
//! - [`Drive`]: uploads (whole-body and resumable) cut into content-addressed, deduplicated,
//!   reference-counted chunks as they stream in; ranged reads; deletes; avatars.
//! - [`gc`]: the collector and the storage check; [`jobs`]: the collector as a periodic job.
//!
//! Invariants:
//! - No object key holds a user-identifying name: `chunks/{tenant}/{h[0:2]}/{h[2:4]}/{h}`,
//!   `uploads/{file_id}/…`, `avatars/{tenant}/{user}`.
//! - A chunk row exists before its object and outlives it, references are added only to live rows,
//!   and a chunk is deleted only while nothing refers to it (see `hearth_db::drive`): the collector can
//!   run beside uploads on every replica without deleting a chunk an upload has just referenced.
//! - Bytes are acknowledged only once stored and referenced, so a crash at any moment loses nothing
//!   a client was told is stored.
//! - No file is ever held whole in memory: at most a few chunks per upload or download.

pub mod blob;
mod checksum;
mod drive;
mod error;
pub mod gc;
pub mod jobs;
mod metrics;
pub mod names;

pub use blob::{ObjectBlobStore, OpenStoreError, open_blob_store};
pub use checksum::{Checksum, ChecksumAlgorithm};
pub use drive::{CHUNK_SIZE, Drive, IN_FLIGHT, Limits, MAX_AVATAR_BYTES, NewFile, Owner};
pub use error::DriveError;
pub use gc::{CollectionReport, StorageReport};
pub use metrics::DriveMetrics;
