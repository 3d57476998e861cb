//! The drive: uploads cut into content-addressed chunks as the bytes stream in, resumable uploads
//! that survive interruptions and crashes, ranged reads, deletes and avatars.
//!
//! An upload's bytes are cut at fixed offsets (every [`CHUNK_SIZE`] bytes of the file, however the
//! client splits its requests), so the same content always yields the same chunks and is stored
//! once. Up to [`IN_FLIGHT`] chunks are hashed and written at once; they are acknowledged in order.
//! Bytes after the last whole chunk of an unfinished upload are kept as a pending part under
//! `uploads/{file_id}/` until the next request continues them. See `hearth_db::drive` for the
//! reference protocol that makes collection safe.

use std::collections::VecDeque;
use std::fmt::Display;
use std::ops::Range;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt, TryStreamExt};
use hearth_config::Settings;
use hearth_core::drive::{ChunkRef, FileState, StoredFile, avatar_key, chunk_key, upload_prefix};
use hearth_core::seams::{BlobKey, BlobStore, ByteStream, SeamError};
use hearth_core::time::unix_now;
use hearth_core::{DriveFolderId, FileId, TenantId, UserId};
use hearth_db::{Claim, Completion, DbError, NewUpload, Progress, Store};
use sha2::{Digest, Sha256};
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::checksum::Checksum;
use crate::names::{SNIFF_BYTES, check_extension, sanitize_filename, sniff_content_type};
use crate::{DriveError, DriveMetrics};

/// Size of every chunk but a file's last. Large enough that a 1 GB file is 256 objects, small enough
/// that a few in flight stay within a few tens of megabytes of memory.
pub const CHUNK_SIZE: u32 = 4 * 1024 * 1024;
/// Chunks hashed and written at once per upload. Two keep a 1 GiB upload under 100 MiB of RSS; with
/// four, the files benchmark measured 69–237 MiB (glibc's allocator; see BENCHMARKS.md).
pub const IN_FLIGHT: usize = 2;
/// A form upload that stops receiving bytes is discarded after this long (it cannot be resumed).
const FORM_UPLOAD_IDLE_SECS: i64 = 3600;
/// Largest avatar accepted.
pub const MAX_AVATAR_BYTES: usize = 5 * 1024 * 1024;
const MIB: u64 = 1024 * 1024;

/// Whose drive an operation acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Owner {
    pub tenant_id: TenantId,
    pub user_id: UserId,
}

/// The upload limits, from the settings.
#[derive(Clone, Debug, Default)]
pub struct Limits {
    /// `FILE_MAX_SIZE`, in bytes.
    pub max_size: Option<u64>,
    /// `FILE_MAX_COUNT`: files per upload request.
    pub max_count: Option<u32>,
    /// `FILE_ALLOWED_EXTENSIONS`.
    pub allowed_extensions: Vec<String>,
    /// `FILE_USER_QUOTA`, in bytes.
    pub default_quota: Option<u64>,
    /// `FILE_UPLOAD_EXPIRY`, in seconds.
    pub upload_expiry_secs: i64,
}

impl Limits {
    /// The limits the settings give.
    pub fn from_settings(settings: &Settings) -> Self {
        let security = &settings.security;
        Self {
            max_size: security.file_max_size.map(|mb| mb.saturating_mul(MIB)),
            max_count: security.file_max_count,
            allowed_extensions: security.file_allowed_extensions.clone(),
            default_quota: security.file_user_quota.map(|mb| mb.saturating_mul(MIB)),
            upload_expiry_secs: i64::try_from(settings.storage.file_upload_expiry.0.as_secs())
                .unwrap_or(i64::MAX),
        }
    }
}

/// A file about to be uploaded.
#[derive(Clone, Debug, Default)]
pub struct NewFile {
    /// The name as the client sent it (sanitised here).
    pub filename: String,
    pub folder_id: Option<DriveFolderId>,
    /// The declared length of a resumable upload.
    pub length: Option<u64>,
    /// tus `Upload-Metadata`, kept to echo back.
    pub metadata: Option<String>,
}

/// The drive service: the relational store for what refers to what, the blob store for bytes.
#[derive(Clone, Debug)]
pub struct Drive {
    pub(crate) store: Store,
    pub(crate) blobs: Arc<dyn BlobStore>,
    /// Replaced whole when an administrator changes a limit ([`Drive::set_limits`]).
    limits: Arc<RwLock<Arc<Limits>>>,
    chunk_size: u32,
    pub(crate) metrics: DriveMetrics,
}

impl Drive {
    /// A drive over `store` and `blobs` with `limits`.
    pub fn new(store: Store, blobs: Arc<dyn BlobStore>, limits: Limits) -> Self {
        Self {
            store,
            blobs,
            limits: Arc::new(RwLock::new(Arc::new(limits))),
            chunk_size: CHUNK_SIZE,
            metrics: DriveMetrics::default(),
        }
    }

    /// Counts into `metrics` (registered for `/metrics`).
    pub fn with_metrics(mut self, metrics: DriveMetrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// The limits in force.
    pub fn limits(&self) -> Arc<Limits> {
        self.limits
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Puts new limits in force for uploads that start from now on (every clone of this drive).
    pub fn set_limits(&self, limits: Limits) {
        *self.limits.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(limits);
    }

    /// The blob store (for `/ready`).
    pub fn blobs(&self) -> &Arc<dyn BlobStore> {
        &self.blobs
    }

    /// Refuses a size over `FILE_MAX_SIZE`.
    pub fn check_size(&self, size: u64) -> Result<(), DriveError> {
        match self.limits().max_size {
            Some(max) if size > max => Err(DriveError::TooLarge(format!(
                "the file is larger than FILE_MAX_SIZE ({} MB)",
                max / MIB
            ))),
            _ => Ok(()),
        }
    }

    /// Refuses more files in one request than `FILE_MAX_COUNT`.
    pub fn check_count(&self, count: usize) -> Result<(), DriveError> {
        match self.limits().max_count {
            Some(max) if count > max as usize => Err(DriveError::Invalid(format!(
                "at most {max} files may be uploaded at once (FILE_MAX_COUNT)"
            ))),
            _ => Ok(()),
        }
    }

    /// Starts an upload: the name is sanitised and checked, the declared length checked against
    /// `FILE_MAX_SIZE` and reserved against the quota.
    pub async fn create_upload(
        &self,
        owner: Owner,
        new: NewFile,
    ) -> Result<StoredFile, DriveError> {
        let limits = self.limits();
        let filename = sanitize_filename(&new.filename)?;
        check_extension(&filename, &limits.allowed_extensions)?;
        if let Some(length) = new.length {
            if length == 0 {
                return Err(empty_file());
            }
            self.check_size(length)?;
        }
        let now = unix_now();
        let expiry = if new.length.is_some() {
            limits.upload_expiry_secs
        } else {
            FORM_UPLOAD_IDLE_SECS
        };
        let upload = NewUpload {
            tenant_id: owner.tenant_id,
            user_id: owner.user_id,
            folder_id: new.folder_id,
            content_type: sniff_content_type(&[], &filename),
            filename,
            length: new.length,
            upload_metadata: new.metadata,
            chunk_size: self.chunk_size,
            expires_at: now.saturating_add(expiry),
            default_quota: limits.default_quota,
        };
        self.store
            .create_upload(upload, now)
            .await
            .map_err(|e| quota_needed(e, new.length.unwrap_or(0)))
    }

    /// Appends a request's bytes to a resumable upload that stands at `sent_offset`. Bytes are
    /// acknowledged chunk by chunk as they are stored; if the body breaks off, what arrived is kept
    /// (unless a checksum was sent, which covers the whole body). Returns the file afterwards.
    pub async fn append<S, E>(
        &self,
        owner: Owner,
        id: FileId,
        sent_offset: u64,
        body: S,
        checksum: Option<Checksum>,
    ) -> Result<StoredFile, DriveError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: Display,
    {
        let now = unix_now();
        let Some((file, token)) = self
            .store
            .take_upload(owner.tenant_id, owner.user_id, id, now)
            .await?
        else {
            return match self.store.file(owner.tenant_id, owner.user_id, id).await? {
                Some(file) if file.size() == sent_offset => Ok(file),
                Some(file) => Err(DriveError::OffsetMismatch {
                    sent: sent_offset,
                    actual: file.size(),
                }),
                None => Err(DriveError::NotFound("upload")),
            };
        };
        if file.expires_at.is_some_and(|at| at <= now) {
            self.discard(owner.tenant_id, id).await;
            return Err(DriveError::Expired);
        }
        if sent_offset != file.offset {
            return Err(DriveError::OffsetMismatch {
                sent: sent_offset,
                actual: file.offset,
            });
        }
        let mut writer = Writer::resume(self, owner, &file, token).await?;
        let received = writer.consume(body, checksum).await?;
        let result = if Some(writer.pos) == file.length {
            writer.finish().await
        } else {
            writer.checkpoint().await
        };
        match (result, received) {
            (Err(error), _) => {
                writer.abort().await;
                Err(error)
            }
            (Ok(_), Err(ended)) => Err(ended),
            (Ok(file), Ok(())) => Ok(file),
        }
    }

    /// Uploads a whole file from a stream (a form upload): stored chunk by chunk as it arrives, never
    /// held whole in memory; nothing is kept if it fails.
    pub async fn upload<S, E>(
        &self,
        owner: Owner,
        new: NewFile,
        body: S,
    ) -> Result<StoredFile, DriveError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: Display,
    {
        let created = self
            .create_upload(
                owner,
                NewFile {
                    length: None,
                    metadata: None,
                    ..new
                },
            )
            .await?;
        let now = unix_now();
        let taken = self
            .store
            .take_upload(owner.tenant_id, owner.user_id, created.id, now)
            .await?;
        let Some((file, token)) = taken else {
            return Err(DriveError::Conflict("the upload vanished".into()));
        };
        let mut writer = Writer::resume(self, owner, &file, token).await?;
        let result = match writer.consume(body, None).await {
            Ok(Ok(())) if writer.pos == 0 => Err(empty_file()),
            Ok(Ok(())) => writer.finish().await,
            Ok(Err(error)) | Err(error) => Err(error),
        };
        if result.is_err() {
            writer.cancel_in_flight();
            self.discard(owner.tenant_id, created.id).await;
        }
        result
    }

    /// A file of the caller's (ready, or an upload in progress).
    pub async fn file(&self, owner: Owner, id: FileId) -> Result<StoredFile, DriveError> {
        self.store
            .file(owner.tenant_id, owner.user_id, id)
            .await?
            .ok_or(DriveError::NotFound("file"))
    }

    /// The bytes `range` of a ready file, fetched a chunk or two ahead of the reader.
    pub async fn read(
        &self,
        file: &StoredFile,
        range: Range<u64>,
    ) -> Result<ByteStream, DriveError> {
        let chunks = self.store.file_chunks(file.id).await?;
        let mut parts = Vec::new();
        let mut start = 0u64;
        for chunk in chunks {
            let end = start + u64::from(chunk.size);
            if end > range.start && start < range.end {
                let from = range.start.max(start) - start;
                let to = range.end.min(end) - start;
                parts.push((chunk_key(file.tenant_id, &chunk.hash), from..to));
            }
            start = end;
        }
        if start != file.size() {
            return Err(DriveError::Database(DbError::Corrupt(format!(
                "file {} has {start} bytes of chunks for a size of {}",
                file.id,
                file.size()
            ))));
        }
        self.metrics
            .downloaded_bytes
            .inc_by(range.end.saturating_sub(range.start));
        let blobs = self.blobs.clone();
        let stream = futures::stream::iter(parts)
            .map(move |(key, range)| {
                let blobs = blobs.clone();
                async move { read_object(blobs.as_ref(), &key, Some(range)).await }
            })
            .buffered(2);
        Ok(stream.boxed())
    }

    /// Deletes a file or an unfinished upload of the caller's.
    pub async fn delete(&self, owner: Owner, id: FileId) -> Result<StoredFile, DriveError> {
        let removed = self
            .store
            .delete_file(owner.tenant_id, Some(owner.user_id), id, unix_now())
            .await?
            .ok_or(DriveError::NotFound("file"))?;
        if removed.state == FileState::Uploading {
            self.delete_prefix(&upload_prefix(id)).await;
        }
        Ok(removed)
    }

    /// Drops an upload whatever its owner (expiry, failures), with its pending parts. Best effort:
    /// what fails here is collected later.
    pub(crate) async fn discard(&self, tenant_id: TenantId, id: FileId) {
        if let Err(error) = self
            .store
            .delete_file(tenant_id, None, id, unix_now())
            .await
        {
            tracing::warn!(file = %id, %error, "could not discard an upload; the collector will");
        }
        self.delete_prefix(&upload_prefix(id)).await;
    }

    pub(crate) async fn delete_prefix(&self, prefix: &str) {
        let objects = match self.blobs.list(prefix).await {
            Ok(objects) => objects,
            Err(error) => {
                tracing::warn!(prefix, %error, "could not list pending parts to delete");
                return;
            }
        };
        for object in objects {
            if let Err(error) = self.blobs.delete(&object.key).await {
                tracing::warn!(key = object.key.as_str(), %error, "could not delete a pending part");
            }
        }
    }

    /// Stores a user's avatar (PNG, JPEG, GIF or WebP, at most 5 MB); returns its validator.
    pub async fn put_avatar(&self, owner: Owner, data: Bytes) -> Result<String, DriveError> {
        if data.len() > MAX_AVATAR_BYTES {
            return Err(DriveError::TooLarge(format!(
                "an avatar may be at most {} MB",
                MAX_AVATAR_BYTES / 1024 / 1024
            )));
        }
        let content_type = sniff_content_type(&data[..data.len().min(SNIFF_BYTES)], "");
        if !matches!(
            content_type.as_str(),
            "image/png" | "image/jpeg" | "image/gif" | "image/webp"
        ) {
            return Err(DriveError::UnsupportedType(format!(
                "an avatar must be a PNG, JPEG, GIF or WebP image, not {content_type}"
            )));
        }
        let etag = hex::encode(Sha256::digest(&data));
        // The row first: the collector deletes avatar objects that have no row, so an object must
        // never exist before its row.
        self.store
            .set_avatar(
                owner.tenant_id,
                owner.user_id,
                &content_type,
                &etag,
                unix_now(),
            )
            .await?;
        self.blobs
            .put(&avatar_key(owner.tenant_id, owner.user_id), data)
            .await?;
        Ok(etag)
    }

    /// A user's avatar: its type, validator and bytes.
    pub async fn avatar(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<(String, String, Bytes), DriveError> {
        let (content_type, etag) = self
            .store
            .avatar(tenant_id, user_id)
            .await?
            .ok_or(DriveError::NotFound("avatar"))?;
        let data = read_object(self.blobs.as_ref(), &avatar_key(tenant_id, user_id), None).await?;
        Ok((content_type, etag, data))
    }

    /// Removes a user's avatar.
    pub async fn delete_avatar(&self, owner: Owner) -> Result<(), DriveError> {
        if !self
            .store
            .delete_avatar(owner.tenant_id, owner.user_id)
            .await?
        {
            return Err(DriveError::NotFound("avatar"));
        }
        self.blobs
            .delete(&avatar_key(owner.tenant_id, owner.user_id))
            .await?;
        Ok(())
    }
}

fn empty_file() -> DriveError {
    DriveError::Invalid("the file is empty: there is nothing to store".into())
}

/// Adds how much was asked for to a quota refusal.
fn quota_needed(error: DbError, needed: u64) -> DriveError {
    match DriveError::from(error) {
        DriveError::QuotaExceeded { used, quota, .. } => DriveError::QuotaExceeded {
            used,
            quota,
            needed,
        },
        other => other,
    }
}

/// A whole object (or a range of it) in memory: chunks are at most [`CHUNK_SIZE`].
async fn read_object(
    blobs: &dyn BlobStore,
    key: &BlobKey,
    range: Option<Range<u64>>,
) -> Result<Bytes, SeamError> {
    let parts: Vec<Bytes> = blobs.get(key, range).await?.try_collect().await?;
    Ok(match parts.len() {
        1 => parts.into_iter().next().unwrap_or_default(),
        _ => {
            let mut whole = BytesMut::new();
            for part in parts {
                whole.extend_from_slice(&part);
            }
            whole.freeze()
        }
    })
}

/// A chunk written and referenced, waiting to be acknowledged.
struct StoredChunk {
    end_offset: u64,
    hash: String,
    /// Whether this upload wrote the object (so the row must be marked stored).
    wrote: bool,
    /// The chunk's buffer, handed back for the next chunk once no one else holds it.
    buffer: Option<Bytes>,
}

/// One request's work on an upload: cuts bytes into chunks, stores them, acknowledges progress.
struct Writer<'a> {
    drive: &'a Drive,
    owner: Owner,
    id: FileId,
    token: Uuid,
    filename: String,
    /// Declared length (resumable uploads); form uploads are bounded by `FILE_MAX_SIZE` instead.
    length: Option<u64>,
    /// Whether quota is counted as bytes are acknowledged (form uploads).
    reserve_as_we_go: bool,
    /// Bytes acknowledged to the database.
    acked: u64,
    /// Bytes received (stored, in flight, or in `buffer`).
    pos: u64,
    /// Bytes since the last chunk boundary.
    buffer: BytesMut,
    next_seq: u32,
    /// Chunks being hashed, referenced and written, oldest first (tasks, so they run in parallel).
    in_flight: VecDeque<JoinHandle<Result<StoredChunk, DriveError>>>,
    /// Stored but not yet acknowledged (while a checksum defers acknowledgement to the end).
    unacknowledged: Vec<StoredChunk>,
    defer: bool,
    /// The file's first bytes, when this request saw them (for sniffing).
    head: Vec<u8>,
    /// Emptied chunk buffers, ready for the next chunks.
    spare: Vec<BytesMut>,
    /// The pending part this upload resumed from.
    old_tail: Option<String>,
}

impl<'a> Writer<'a> {
    async fn resume(
        drive: &'a Drive,
        owner: Owner,
        file: &StoredFile,
        token: Uuid,
    ) -> Result<Writer<'a>, DriveError> {
        let chunk_size = u64::from(file.chunk_size.max(1));
        let in_chunk = file.offset % chunk_size;
        let mut buffer = BytesMut::with_capacity(file.chunk_size as usize);
        if in_chunk > 0 {
            let key = file
                .tail_key
                .as_deref()
                .and_then(|k| BlobKey::new(k).ok())
                .ok_or_else(|| {
                    DriveError::Database(DbError::Corrupt(format!(
                        "upload {} stands mid-chunk without its pending part",
                        file.id
                    )))
                })?;
            // The part may hold more than was acknowledged (a request that died before its
            // acknowledgement); the acknowledged prefix is what counts.
            let tail = read_object(drive.blobs.as_ref(), &key, Some(0..in_chunk)).await?;
            buffer.extend_from_slice(&tail);
        }
        Ok(Writer {
            drive,
            owner,
            id: file.id,
            token,
            filename: file.filename.clone(),
            length: file.length,
            reserve_as_we_go: file.length.is_none(),
            acked: file.offset,
            pos: file.offset,
            buffer,
            next_seq: u32::try_from(file.offset / chunk_size).unwrap_or(u32::MAX),
            in_flight: VecDeque::new(),
            unacknowledged: Vec::new(),
            defer: false,
            head: Vec::new(),
            spare: Vec::new(),
            old_tail: file.tail_key.clone(),
        })
    }

    fn cancel_in_flight(&mut self) {
        for task in self.in_flight.drain(..) {
            task.abort();
        }
    }

    fn chunk_size(&self) -> usize {
        self.drive.chunk_size as usize
    }

    /// Reads the body to its end. A body that breaks off yields `Err(BodyEnded)` after what arrived
    /// was kept; other errors leave nothing unacknowledged behind.
    async fn consume<S, E>(
        &mut self,
        mut body: S,
        checksum: Option<Checksum>,
    ) -> Result<Result<(), DriveError>, DriveError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send + Unpin,
        E: Display,
    {
        self.defer = checksum.is_some();
        let mut hasher = checksum.as_ref().map(Checksum::hasher);
        let ended = loop {
            // While waiting for more bytes, acknowledge each chunk as soon as it is stored, so a
            // client that stalls or vanishes has every whole chunk it sent counted.
            let next = match self.in_flight.front_mut() {
                Some(front) if !self.defer => tokio::select! {
                    biased;
                    done = front => Err(done),
                    item = body.next() => Ok(item),
                },
                _ => Ok(body.next().await),
            };
            let next = match next {
                Ok(item) => item,
                Err(done) => {
                    self.in_flight.pop_front();
                    if let Err(error) = self.settled(done).await {
                        self.abort().await;
                        return Err(error);
                    }
                    continue;
                }
            };
            match next {
                None => break None,
                Some(Ok(bytes)) => {
                    if let Some(hasher) = hasher.as_mut() {
                        hasher.update(&bytes);
                    }
                    if let Err(error) = self.write(bytes).await {
                        self.abort().await;
                        return Err(error);
                    }
                }
                Some(Err(error)) => break Some(error.to_string()),
            }
        };
        if let Some(reason) = ended {
            if self.defer {
                self.abort().await;
                return Err(DriveError::BodyEnded(format!(
                    "{reason}; nothing was kept, as the checksum covers the whole body"
                )));
            }
            return Ok(Err(DriveError::BodyEnded(reason)));
        }
        if let (Some(hasher), Some(checksum)) = (hasher, checksum)
            && !checksum.matches(hasher)
        {
            self.abort().await;
            return Err(DriveError::ChecksumMismatch);
        }
        Ok(Ok(()))
    }

    async fn write(&mut self, bytes: Bytes) -> Result<(), DriveError> {
        let after = self.pos + bytes.len() as u64;
        match self.length {
            Some(length) if after > length => {
                return Err(DriveError::TooLarge(format!(
                    "the body goes past the declared Upload-Length ({length} bytes)"
                )));
            }
            None => self.drive.check_size(after)?,
            _ => {}
        }
        if self.pos < SNIFF_BYTES as u64 && self.pos == self.head.len() as u64 {
            let take = (SNIFF_BYTES - self.head.len()).min(bytes.len());
            self.head.extend_from_slice(&bytes[..take]);
        }
        // Each chunk is filled to exactly its size in a buffer of its own: splitting a grown buffer
        // would pin an allocation twice the chunk size until the chunk is written.
        let size = self.chunk_size();
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let take = (size - self.buffer.len()).min(rest.len());
            self.buffer.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            self.pos += take as u64;
            if self.buffer.len() == size {
                let next = self
                    .spare
                    .pop()
                    .unwrap_or_else(|| BytesMut::with_capacity(size));
                let full = std::mem::replace(&mut self.buffer, next);
                self.store_chunk(full.freeze()).await?;
            }
        }
        Ok(())
    }

    /// Hashes, references and writes a chunk in the background, keeping at most [`IN_FLIGHT`].
    async fn store_chunk(&mut self, chunk: Bytes) -> Result<(), DriveError> {
        if self.in_flight.len() >= IN_FLIGHT {
            self.settle_one().await?;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let end_offset = self.pos - self.buffer.len() as u64;
        let store = self.drive.store.clone();
        let blobs = self.drive.blobs.clone();
        let (tenant_id, id, token) = (self.owner.tenant_id, self.id, self.token);
        let metrics = self.drive.metrics.clone();
        self.in_flight.push_back(tokio::spawn(async move {
            let size = u32::try_from(chunk.len()).unwrap_or(u32::MAX);
            let data = chunk.clone();
            let buffer = Some(chunk.clone());
            let hash = tokio::task::spawn_blocking(move || hex::encode(Sha256::digest(&data)))
                .await
                .map_err(|e| DriveError::Storage(SeamError::Backend(e.to_string())))?;
            let reference = ChunkRef { seq, hash, size };
            // A chunk being collected is gone within moments; wait for that, then store it anew.
            for _ in 0..600 {
                match store
                    .claim_chunk(tenant_id, id, token, &reference, unix_now())
                    .await?
                {
                    Claim::Stored => {
                        metrics.chunk(false);
                        return Ok(StoredChunk {
                            end_offset,
                            hash: reference.hash,
                            wrote: false,
                            buffer,
                        });
                    }
                    Claim::NeedsPut => {
                        blobs
                            .put(&chunk_key(tenant_id, &reference.hash), chunk)
                            .await?;
                        metrics.chunk(true);
                        return Ok(StoredChunk {
                            end_offset,
                            hash: reference.hash,
                            wrote: true,
                            buffer,
                        });
                    }
                    Claim::Collecting => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
            Err(DriveError::Conflict(
                "a chunk of this file is being collected; try again".into(),
            ))
        }));
        Ok(())
    }

    /// Waits for the oldest chunk in flight and acknowledges it (unless acknowledgement waits for a
    /// checksum).
    async fn settle_one(&mut self) -> Result<(), DriveError> {
        let Some(task) = self.in_flight.pop_front() else {
            return Ok(());
        };
        let done = task.await;
        self.settled(done).await
    }

    /// Acknowledges a finished chunk task (or keeps it for later while a checksum is pending).
    async fn settled(
        &mut self,
        done: Result<Result<StoredChunk, DriveError>, tokio::task::JoinError>,
    ) -> Result<(), DriveError> {
        let mut stored =
            done.map_err(|e| DriveError::Storage(SeamError::Backend(e.to_string())))??;
        // Reuse the buffer: a fixed few per upload instead of a fresh 4 MiB allocation per chunk,
        // which the allocator would keep around (the 1 GB upload's peak RSS, see BENCHMARKS.md).
        if let Some(Ok(mut buffer)) = stored.buffer.take().map(Bytes::try_into_mut)
            && self.spare.len() <= IN_FLIGHT
        {
            buffer.clear();
            self.spare.push(buffer);
        }
        if self.defer {
            self.unacknowledged.push(stored);
            return Ok(());
        }
        let to = stored.end_offset;
        self.acknowledge(to, None, vec![stored]).await
    }

    async fn settle_all(&mut self) -> Result<(), DriveError> {
        while !self.in_flight.is_empty() {
            self.settle_one().await?;
        }
        Ok(())
    }

    fn progress(&self, to: u64, tail_key: Option<String>, stored: &[StoredChunk]) -> Progress {
        Progress {
            from_offset: self.acked,
            to_offset: to,
            tail_key,
            stored: stored
                .iter()
                .filter(|s| s.wrote)
                .map(|s| s.hash.clone())
                .collect(),
            reserve: if self.reserve_as_we_go {
                to - self.acked
            } else {
                0
            },
            default_quota: self.drive.limits().default_quota,
            expires_at: self
                .reserve_as_we_go
                .then(|| unix_now() + FORM_UPLOAD_IDLE_SECS),
        }
    }

    async fn acknowledge(
        &mut self,
        to: u64,
        tail_key: Option<String>,
        stored: Vec<StoredChunk>,
    ) -> Result<(), DriveError> {
        let progress = self.progress(to, tail_key.clone(), &stored);
        self.drive
            .store
            .record_progress(
                self.owner.tenant_id,
                self.owner.user_id,
                self.id,
                self.token,
                &progress,
                unix_now(),
            )
            .await
            .map_err(|e| quota_needed(e, progress.reserve))?;
        self.drive.metrics.uploaded_bytes.inc_by(to - self.acked);
        self.acked = to;
        // The part this upload resumed from is superseded once progress is acknowledged.
        if let Some(old) = self.old_tail.take()
            && Some(&old) != tail_key.as_ref()
            && let Ok(key) = BlobKey::new(old)
        {
            let _ = self.drive.blobs.delete(&key).await;
        }
        self.old_tail = tail_key;
        Ok(())
    }

    /// Acknowledges everything received, keeping the bytes after the last whole chunk as a pending
    /// part, for a later request to continue.
    async fn checkpoint(&mut self) -> Result<StoredFile, DriveError> {
        self.settle_all().await?;
        let stored = std::mem::take(&mut self.unacknowledged);
        if self.pos > self.acked || !stored.is_empty() {
            let tail_key = if self.buffer.is_empty() {
                None
            } else {
                let key = format!("{}{}-{}", upload_prefix(self.id), self.token, self.pos);
                let key = BlobKey::new(key).expect("ids and offsets make valid keys");
                self.drive
                    .blobs
                    .put(&key, self.buffer.clone().freeze())
                    .await?;
                Some(key.as_str().to_owned())
            };
            self.acknowledge(self.pos, tail_key, stored).await?;
        }
        self.drive.file(self.owner, self.id).await
    }

    /// Stores the last chunk and makes the file ready.
    async fn finish(&mut self) -> Result<StoredFile, DriveError> {
        if !self.buffer.is_empty() {
            let last = self.buffer.split().freeze();
            self.store_chunk(last).await?;
        }
        // Everything is stored before the file is ready; its acknowledgement is the completion.
        let defer = std::mem::replace(&mut self.defer, true);
        let settled = self.settle_all().await;
        self.defer = defer;
        settled?;
        let stored = std::mem::take(&mut self.unacknowledged);
        let chunks = self.drive.store.file_chunks(self.id).await?;
        let head = self.head_bytes(&chunks).await?;
        let mut etag = Sha256::new();
        etag.update(b"hearth-chunks-v1\n");
        for chunk in &chunks {
            etag.update(format!("{}:{}\n", chunk.hash, chunk.size).as_bytes());
        }
        let completion = Completion {
            progress: self.progress(self.pos, None, &stored),
            etag: hex::encode(etag.finalize()),
            content_type: sniff_content_type(&head, &self.filename),
        };
        let file = self
            .drive
            .store
            .complete_upload(
                self.owner.tenant_id,
                self.owner.user_id,
                self.id,
                self.token,
                &completion,
                unix_now(),
            )
            .await
            .map_err(|e| quota_needed(e, completion.progress.reserve))?;
        self.drive
            .metrics
            .uploaded_bytes
            .inc_by(self.pos - self.acked);
        self.drive.metrics.files_completed.inc();
        self.acked = self.pos;
        self.drive.delete_prefix(&upload_prefix(self.id)).await;
        Ok(file)
    }

    /// The file's first bytes: seen by this request, or read back from the first chunk.
    async fn head_bytes(&self, chunks: &[ChunkRef]) -> Result<Vec<u8>, DriveError> {
        let wanted = self.pos.min(SNIFF_BYTES as u64);
        if self.head.len() as u64 >= wanted {
            return Ok(self.head.clone());
        }
        let Some(first) = chunks.first() else {
            return Ok(Vec::new());
        };
        let key = chunk_key(self.owner.tenant_id, &first.hash);
        let end = wanted.min(u64::from(first.size));
        Ok(read_object(self.drive.blobs.as_ref(), &key, Some(0..end))
            .await?
            .to_vec())
    }

    /// Gives up this request's unacknowledged work: the references it made past the acknowledged
    /// offset are released (the objects stay for other files or for the collector).
    async fn abort(&mut self) {
        self.cancel_in_flight();
        self.unacknowledged.clear();
        if let Err(error) = self
            .drive
            .store
            .release_unacknowledged(self.owner.tenant_id, self.id, self.token, unix_now())
            .await
        {
            tracing::warn!(file = %self.id, %error, "could not release an upload's references; the next request will");
        }
    }
}
