//! Garbage collection and the storage check.
//!
//! The collector discards expired uploads (giving back their references and quota), deletes chunks
//! no file refers to (mark, delete the object, forget the row — see `hearth_db::drive`), and sweeps
//! pending parts and avatars whose rows are gone. Every step is idempotent and safe beside running
//! uploads, so every replica may run it. The check compares rows and objects and reports every
//! disagreement; after a collection it reports none.

use std::collections::{HashMap, HashSet};

use hearth_core::drive::chunk_key;
use hearth_core::time::unix_now;
use serde::Serialize;

use crate::{Drive, DriveError};

/// Chunk rows examined per round.
const BATCH: u64 = 500;

/// What a collection did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CollectionReport {
    pub expired_uploads: u64,
    pub chunks_deleted: u64,
    pub pending_parts_deleted: u64,
    pub avatars_deleted: u64,
}

/// What the storage check found. Healthy storage has every list empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StorageReport {
    /// Chunk rows.
    pub chunks: u64,
    /// Objects under `chunks/`.
    pub chunk_objects: u64,
    /// Chunk rows no file refers to yet (waiting for the collector).
    pub unreferenced_chunks: u64,
    /// Objects under `chunks/` with no row: orphans.
    pub orphaned_objects: Vec<String>,
    /// Referenced, stored chunks whose object is missing: dangling references.
    pub missing_objects: Vec<String>,
    /// File positions naming a chunk that has no row.
    pub dangling_references: Vec<String>,
    /// Chunks whose reference count disagrees with the positions naming them.
    pub miscounted_chunks: Vec<String>,
    /// Pending parts under `uploads/` of uploads that no longer exist.
    pub orphaned_pending_parts: Vec<String>,
}

impl StorageReport {
    /// Whether nothing is orphaned, missing or miscounted.
    pub fn is_clean(&self) -> bool {
        self.orphaned_objects.is_empty()
            && self.missing_objects.is_empty()
            && self.dangling_references.is_empty()
            && self.miscounted_chunks.is_empty()
            && self.orphaned_pending_parts.is_empty()
    }
}

impl Drive {
    /// Runs one collection.
    pub async fn collect_garbage(&self) -> Result<CollectionReport, DriveError> {
        let mut report = CollectionReport::default();
        loop {
            let expired = self.store.expired_uploads(unix_now(), BATCH).await?;
            if expired.is_empty() {
                break;
            }
            for (tenant_id, id) in expired {
                self.discard(tenant_id, id).await;
                report.expired_uploads += 1;
            }
        }
        loop {
            let rows = self.store.collectable_chunks(BATCH).await?;
            let mut progressed = false;
            for row in &rows {
                if !self
                    .store
                    .begin_collecting(row.tenant_id, &row.hash, unix_now())
                    .await?
                {
                    continue; // referenced again meanwhile
                }
                self.blobs
                    .delete(&chunk_key(row.tenant_id, &row.hash))
                    .await?;
                self.store
                    .finish_collecting(row.tenant_id, &row.hash)
                    .await?;
                report.chunks_deleted += 1;
                self.metrics.chunks_collected.inc();
                progressed = true;
            }
            if rows.len() < BATCH as usize || !progressed {
                break;
            }
        }
        // Objects are listed before rows are read: a part or avatar written after the listing is not
        // in it, and one in it whose row is gone afterwards is garbage (rows come first).
        let parts = self.blobs.list("uploads/").await?;
        let live: HashSet<String> = self
            .store
            .unfinished_upload_ids()
            .await?
            .into_iter()
            .map(|id| id.to_string())
            .collect();
        for part in parts {
            let upload = part.key.as_str().split('/').nth(1).unwrap_or_default();
            if !live.contains(upload) {
                self.blobs.delete(&part.key).await?;
                report.pending_parts_deleted += 1;
            }
        }
        let avatars = self.blobs.list("avatars/").await?;
        let owners: HashSet<String> = self
            .store
            .avatar_owners()
            .await?
            .into_iter()
            .map(|(tenant, user)| format!("avatars/{tenant}/{user}"))
            .collect();
        for avatar in avatars {
            if !owners.contains(avatar.key.as_str()) {
                self.blobs.delete(&avatar.key).await?;
                report.avatars_deleted += 1;
            }
        }
        if report != CollectionReport::default() {
            tracing::info!(?report, "collected storage garbage");
        }
        Ok(report)
    }

    /// Compares the chunk rows, the file positions and the objects in the store.
    pub async fn check_storage(&self) -> Result<StorageReport, DriveError> {
        let objects = self.blobs.list("chunks/").await?;
        let parts = self.blobs.list("uploads/").await?;
        let (rows, counted) = self.store.chunk_census().await?;
        let live: HashSet<String> = self
            .store
            .unfinished_upload_ids()
            .await?
            .into_iter()
            .map(|id| id.to_string())
            .collect();
        let object_keys: HashSet<&str> = objects.iter().map(|o| o.key.as_str()).collect();
        let mut report = StorageReport {
            chunks: rows.len() as u64,
            chunk_objects: objects.len() as u64,
            ..StorageReport::default()
        };
        let mut by_key = HashMap::new();
        for row in &rows {
            let key = chunk_key(row.tenant_id, &row.hash);
            let refs = counted
                .get(&(row.tenant_id, row.hash.clone()))
                .copied()
                .unwrap_or(0);
            if refs != row.ref_count {
                report.miscounted_chunks.push(key.as_str().to_owned());
            }
            if row.ref_count <= 0 {
                report.unreferenced_chunks += 1;
            } else if row.stored && !object_keys.contains(key.as_str()) {
                report.missing_objects.push(key.as_str().to_owned());
            }
            by_key.insert(key.as_str().to_owned(), row);
        }
        for object in &objects {
            if !by_key.contains_key(object.key.as_str()) {
                report.orphaned_objects.push(object.key.as_str().to_owned());
            }
        }
        for (tenant_id, hash) in counted.keys() {
            let key = chunk_key(*tenant_id, hash);
            if !by_key.contains_key(key.as_str()) {
                report.dangling_references.push(key.as_str().to_owned());
            }
        }
        for part in parts {
            let upload = part.key.as_str().split('/').nth(1).unwrap_or_default();
            if !live.contains(upload) {
                report
                    .orphaned_pending_parts
                    .push(part.key.as_str().to_owned());
            }
        }
        Ok(report)
    }
}
