//! The drive's rows: files and their uploads, chunk references, reference-counted content chunks,
//! folders, storage usage and quotas, avatars.
//!
//! The chunk protocol (the reason this module exists) keeps three facts true in every transaction:
//! - `blob_chunks.ref_count` equals the number of `file_chunks` rows naming that chunk;
//! - a chunk row is created (`stored = false`) *before* its object is written, so an object never
//!   exists without a row, and the collector never has to guess from listings;
//! - a chunk is deleted in two steps — `state = 'deleting'` only while `ref_count = 0`, then the
//!   object, then the row — and references are only ever added to `live` rows, so an upload that
//!   meets a chunk being deleted waits and stores it anew instead of pointing at a vanishing object.
//!
//! Every step of an upload is guarded by the upload's current token: a newer request for the same
//! upload takes the token over (as tus servers do), and the older one's writes are refused.

use std::collections::HashMap;

use hearth_core::drive::{ChunkRef, DriveFolder, FileState, StoredFile};
use hearth_core::{DriveFolderId, FileId, TenantId, UserId};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, Func, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use crate::entities::{avatar, blob_chunk, drive_folder, file, file_chunk, storage_usage};
use crate::groups::parse_id;
use crate::{DbError, Store};

const LIVE: &str = "live";
const DELETING: &str = "deleting";

/// A new upload (a tus creation, or the start of a form upload).
#[derive(Clone, Debug)]
pub struct NewUpload {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub folder_id: Option<DriveFolderId>,
    pub filename: String,
    pub content_type: String,
    /// Declared length (tus); reserved against the quota at once. `None` for form uploads, which
    /// reserve as their bytes arrive.
    pub length: Option<u64>,
    pub upload_metadata: Option<String>,
    pub chunk_size: u32,
    pub expires_at: i64,
    /// The quota that applies when the user has no override, in bytes.
    pub default_quota: Option<u64>,
}

/// What claiming a chunk position found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The chunk is stored already; nothing to write.
    Stored,
    /// The reference is held; the caller must write the object, then report it stored.
    NeedsPut,
    /// The chunk is being collected right now; wait for it to go, then claim again.
    Collecting,
}

/// Bytes acknowledged by an upload step.
#[derive(Clone, Debug)]
pub struct Progress {
    pub from_offset: u64,
    pub to_offset: u64,
    /// The object holding the bytes after the last whole chunk, if any.
    pub tail_key: Option<String>,
    /// Chunks whose objects this step wrote.
    pub stored: Vec<String>,
    /// Quota to count now (form uploads count as they go).
    pub reserve: u64,
    pub default_quota: Option<u64>,
    /// When the upload expires from now on (form uploads are kept only while bytes keep coming).
    pub expires_at: Option<i64>,
}

/// The last step of an upload.
#[derive(Clone, Debug)]
pub struct Completion {
    pub progress: Progress,
    pub etag: String,
    pub content_type: String,
}

/// Which files to list.
#[derive(Clone, Debug, Default)]
pub struct FileFilter {
    /// `Some(None)`: the top level only; `Some(Some(id))`: that folder; `None`: everywhere.
    pub folder: Option<Option<DriveFolderId>>,
    pub limit: u64,
    pub offset: u64,
}

/// A stored chunk row as the collector and the storage check see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkRow {
    pub tenant_id: TenantId,
    pub hash: String,
    pub ref_count: i64,
    pub deleting: bool,
    pub stored: bool,
}

/// A user's storage use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Usage {
    pub used_bytes: u64,
    /// The user's own quota, overriding the default.
    pub quota_override: Option<u64>,
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl Store {
    /// Creates a file in the `uploading` state, reserving its declared length against the quota.
    pub async fn create_upload(&self, upload: NewUpload, now: i64) -> Result<StoredFile, DbError> {
        let txn = self.writer.begin().await?;
        let id = FileId::new();
        let row = file::ActiveModel {
            id: Set(id.to_string()),
            tenant_id: Set(upload.tenant_id.to_string()),
            user_id: Set(upload.user_id.to_string()),
            folder_id: Set(upload.folder_id.map(|f| f.to_string())),
            filename: Set(upload.filename),
            content_type: Set(upload.content_type),
            state: Set(FileState::Uploading.as_str().to_owned()),
            length: Set(upload.length.map(to_i64)),
            upload_offset: Set(0),
            upload_token: Set(None),
            tail_key: Set(None),
            upload_metadata: Set(upload.upload_metadata),
            reserved_bytes: Set(to_i64(upload.length.unwrap_or(0))),
            chunk_size: Set(i32::try_from(upload.chunk_size).unwrap_or(i32::MAX)),
            etag: Set(None),
            expires_at: Set(Some(upload.expires_at)),
            created_at: Set(now),
            updated_at: Set(now),
        };
        file::Entity::insert(row.clone())
            .exec_without_returning(&txn)
            .await?;
        if let Some(folder) = upload.folder_id {
            ensure_folder(&txn, upload.tenant_id, upload.user_id, folder).await?;
        }
        if let Some(length) = upload.length {
            reserve(
                &txn,
                upload.tenant_id,
                upload.user_id,
                length,
                upload.default_quota,
                now,
            )
            .await?;
        }
        let created = file::Entity::find_by_id(id.to_string())
            .one(&txn)
            .await?
            .ok_or(DbError::NotFound("file"))?;
        txn.commit().await?;
        to_file(created)
    }

    /// Takes over an unfinished upload for one request: a new token (any older request's writes are
    /// refused from now on), and the references that request made past the acknowledged offset are
    /// released. `None` when the caller has no such unfinished upload.
    pub async fn take_upload(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        id: FileId,
        now: i64,
    ) -> Result<Option<(StoredFile, Uuid)>, DbError> {
        let token = Uuid::now_v7();
        let txn = self.writer.begin().await?;
        let taken = file::Entity::update_many()
            .col_expr(file::Column::UploadToken, Expr::value(token.to_string()))
            .col_expr(file::Column::UpdatedAt, Expr::value(now))
            .filter(file::Column::Id.eq(id.to_string()))
            .filter(file::Column::TenantId.eq(tenant_id.to_string()))
            .filter(file::Column::UserId.eq(user_id.to_string()))
            .filter(file::Column::State.eq(FileState::Uploading.as_str()))
            .exec(&txn)
            .await?;
        if taken.rows_affected == 0 {
            return Ok(None);
        }
        let row = file::Entity::find_by_id(id.to_string())
            .one(&txn)
            .await?
            .ok_or(DbError::NotFound("file"))?;
        let file = to_file(row)?;
        release_unacknowledged_chunks(&txn, &file).await?;
        txn.commit().await?;
        Ok(Some((file, token)))
    }

    /// References the chunk `hash` at position `seq` of the upload held with `token`.
    pub async fn claim_chunk(
        &self,
        tenant_id: TenantId,
        id: FileId,
        token: Uuid,
        chunk: &ChunkRef,
        now: i64,
    ) -> Result<Claim, DbError> {
        let txn = self.writer.begin().await?;
        guard_upload(&txn, id, token, now).await?;
        let referenced = blob_chunk::Entity::update_many()
            .col_expr(
                blob_chunk::Column::RefCount,
                Expr::col(blob_chunk::Column::RefCount).add(1),
            )
            .col_expr(blob_chunk::Column::UpdatedAt, Expr::value(now))
            .filter(blob_chunk::Column::TenantId.eq(tenant_id.to_string()))
            .filter(blob_chunk::Column::Hash.eq(chunk.hash.clone()))
            .filter(blob_chunk::Column::State.eq(LIVE))
            .exec(&txn)
            .await?;
        let claim = if referenced.rows_affected > 0 {
            let row = blob_chunk::Entity::find_by_id((tenant_id.to_string(), chunk.hash.clone()))
                .one(&txn)
                .await?
                .ok_or(DbError::NotFound("chunk"))?;
            if row.stored {
                Claim::Stored
            } else {
                Claim::NeedsPut
            }
        } else {
            let existing =
                blob_chunk::Entity::find_by_id((tenant_id.to_string(), chunk.hash.clone()))
                    .one(&txn)
                    .await?;
            if existing.is_some() {
                // Being collected: the caller waits until the row is gone.
                return Ok(Claim::Collecting);
            }
            let row = blob_chunk::ActiveModel {
                tenant_id: Set(tenant_id.to_string()),
                hash: Set(chunk.hash.clone()),
                size: Set(i32::try_from(chunk.size).unwrap_or(i32::MAX)),
                ref_count: Set(1),
                state: Set(LIVE.to_owned()),
                stored: Set(false),
                created_at: Set(now),
                updated_at: Set(now),
            };
            match blob_chunk::Entity::insert(row)
                .exec_without_returning(&txn)
                .await
                .map_err(DbError::from)
            {
                Ok(_) => Claim::NeedsPut,
                // Another upload inserted the same chunk between our two statements: claim again.
                Err(DbError::Conflict(_)) => return Ok(Claim::Collecting),
                Err(error) => return Err(error),
            }
        };
        file_chunk::Entity::insert(file_chunk::ActiveModel {
            file_id: Set(id.to_string()),
            seq: Set(i32::try_from(chunk.seq).unwrap_or(i32::MAX)),
            tenant_id: Set(tenant_id.to_string()),
            hash: Set(chunk.hash.clone()),
            size: Set(i32::try_from(chunk.size).unwrap_or(i32::MAX)),
        })
        .exec_without_returning(&txn)
        .await
        .map_err(|e| {
            DbError::from(e).on_conflict("another request is writing the same part of this upload")
        })?;
        txn.commit().await?;
        Ok(claim)
    }

    /// Acknowledges bytes of the upload held with `token` (guarded by the offset it started from).
    pub async fn record_progress(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        id: FileId,
        token: Uuid,
        progress: &Progress,
        now: i64,
    ) -> Result<(), DbError> {
        let txn = self.writer.begin().await?;
        advance(&txn, tenant_id, user_id, id, token, progress, None, now).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Acknowledges the last bytes and makes the file ready.
    pub async fn complete_upload(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        id: FileId,
        token: Uuid,
        completion: &Completion,
        now: i64,
    ) -> Result<StoredFile, DbError> {
        let txn = self.writer.begin().await?;
        advance(
            &txn,
            tenant_id,
            user_id,
            id,
            token,
            &completion.progress,
            Some(completion),
            now,
        )
        .await?;
        let row = file::Entity::find_by_id(id.to_string())
            .one(&txn)
            .await?
            .ok_or(DbError::NotFound("file"))?;
        txn.commit().await?;
        to_file(row)
    }

    /// Lets go of an upload's references past the acknowledged offset (a step that failed part-way),
    /// if `token` still holds it.
    pub async fn release_unacknowledged(
        &self,
        tenant_id: TenantId,
        id: FileId,
        token: Uuid,
        now: i64,
    ) -> Result<(), DbError> {
        let txn = self.writer.begin().await?;
        if guard_upload(&txn, id, token, now).await.is_err() {
            return Ok(());
        }
        let row = file::Entity::find_by_id(id.to_string())
            .filter(file::Column::TenantId.eq(tenant_id.to_string()))
            .one(&txn)
            .await?
            .ok_or(DbError::NotFound("file"))?;
        let file = to_file(row)?;
        release_unacknowledged_chunks(&txn, &file).await?;
        txn.commit().await?;
        Ok(())
    }

    /// A file of `user_id` (ready or still uploading).
    pub async fn file(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        id: FileId,
    ) -> Result<Option<StoredFile>, DbError> {
        file::Entity::find_by_id(id.to_string())
            .filter(file::Column::TenantId.eq(tenant_id.to_string()))
            .filter(file::Column::UserId.eq(user_id.to_string()))
            .one(&self.reader)
            .await?
            .map(to_file)
            .transpose()
    }

    /// Files of a tenant by id, whoever owns them (for background work and citations); missing
    /// ids are skipped.
    pub async fn files_by_ids(
        &self,
        tenant_id: TenantId,
        ids: &[FileId],
    ) -> Result<Vec<StoredFile>, DbError> {
        let mut found = Vec::with_capacity(ids.len());
        for batch in ids.chunks(500) {
            let rows = file::Entity::find()
                .filter(file::Column::TenantId.eq(tenant_id.to_string()))
                .filter(file::Column::Id.is_in(batch.iter().map(ToString::to_string)))
                .all(&self.reader)
                .await?;
            for row in rows {
                found.push(to_file(row)?);
            }
        }
        Ok(found)
    }

    /// A file's chunks in order.
    pub async fn file_chunks(&self, id: FileId) -> Result<Vec<ChunkRef>, DbError> {
        chunks_of(&self.reader, id).await
    }

    /// A user's ready files, newest first.
    pub async fn list_files(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        filter: &FileFilter,
    ) -> Result<(Vec<StoredFile>, u64), DbError> {
        let mut query = file::Entity::find()
            .filter(file::Column::TenantId.eq(tenant_id.to_string()))
            .filter(file::Column::UserId.eq(user_id.to_string()))
            .filter(file::Column::State.eq(FileState::Ready.as_str()));
        match &filter.folder {
            None => {}
            Some(None) => query = query.filter(file::Column::FolderId.is_null()),
            Some(Some(folder)) => {
                query = query.filter(file::Column::FolderId.eq(folder.to_string()));
            }
        }
        let total = query.clone().count(&self.reader).await?;
        let rows = query
            .order_by_desc(file::Column::CreatedAt)
            .order_by_desc(file::Column::Id)
            .limit(filter.limit)
            .offset(filter.offset)
            .all(&self.reader)
            .await?;
        let files = rows.into_iter().map(to_file).collect::<Result<_, _>>()?;
        Ok((files, total))
    }

    /// Renames a file and/or moves it into a folder (`Some(None)`: to the top level).
    pub async fn update_file(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        id: FileId,
        filename: Option<&str>,
        folder_id: Option<Option<DriveFolderId>>,
        now: i64,
    ) -> Result<StoredFile, DbError> {
        let txn = self.writer.begin().await?;
        let mut update =
            file::Entity::update_many().col_expr(file::Column::UpdatedAt, Expr::value(now));
        if let Some(name) = filename {
            update = update.col_expr(file::Column::Filename, Expr::value(name));
        }
        if let Some(folder) = folder_id {
            update = update.col_expr(
                file::Column::FolderId,
                Expr::value(folder.map(|f| f.to_string())),
            );
        }
        let updated = update
            .filter(file::Column::Id.eq(id.to_string()))
            .filter(file::Column::TenantId.eq(tenant_id.to_string()))
            .filter(file::Column::UserId.eq(user_id.to_string()))
            .exec(&txn)
            .await?;
        if updated.rows_affected == 0 {
            return Err(DbError::NotFound("file"));
        }
        if let Some(Some(folder)) = folder_id {
            ensure_folder(&txn, tenant_id, user_id, folder).await?;
        }
        let row = file::Entity::find_by_id(id.to_string())
            .one(&txn)
            .await?
            .ok_or(DbError::NotFound("file"))?;
        txn.commit().await?;
        to_file(row)
    }

    /// Deletes a file (or an unfinished upload): its references go, its quota is given back. The
    /// chunks nobody else refers to are left for the collector. `None` when there was no such file.
    pub async fn delete_file(
        &self,
        tenant_id: TenantId,
        user_id: Option<UserId>,
        id: FileId,
        now: i64,
    ) -> Result<Option<StoredFile>, DbError> {
        let txn = self.writer.begin().await?;
        let removed = remove_file(&txn, tenant_id, user_id, id, now).await?;
        txn.commit().await?;
        Ok(removed)
    }

    /// Unfinished uploads whose time is up, oldest first.
    pub async fn expired_uploads(
        &self,
        now: i64,
        limit: u64,
    ) -> Result<Vec<(TenantId, FileId)>, DbError> {
        file::Entity::find()
            .filter(file::Column::State.eq(FileState::Uploading.as_str()))
            .filter(file::Column::ExpiresAt.lt(now))
            .order_by_asc(file::Column::ExpiresAt)
            .limit(limit)
            .all(&self.reader)
            .await?
            .into_iter()
            .map(|row| Ok((parse_id(&row.tenant_id)?, parse_id(&row.id)?)))
            .collect()
    }

    /// Ids of every unfinished upload (their `uploads/` prefixes are live).
    pub async fn unfinished_upload_ids(&self) -> Result<Vec<FileId>, DbError> {
        file::Entity::find()
            .filter(file::Column::State.eq(FileState::Uploading.as_str()))
            .all(&self.reader)
            .await?
            .into_iter()
            .map(|row| parse_id(&row.id))
            .collect()
    }

    /// Chunks that no file refers to (and chunks whose collection was interrupted).
    pub async fn collectable_chunks(&self, limit: u64) -> Result<Vec<ChunkRow>, DbError> {
        blob_chunk::Entity::find()
            .filter(
                Condition::any()
                    .add(blob_chunk::Column::RefCount.lte(0))
                    .add(blob_chunk::Column::State.eq(DELETING)),
            )
            .limit(limit)
            .all(&self.reader)
            .await?
            .into_iter()
            .map(to_chunk_row)
            .collect()
    }

    /// Marks an unreferenced chunk as being collected; `false` when it was referenced meanwhile.
    pub async fn begin_collecting(
        &self,
        tenant_id: TenantId,
        hash: &str,
        now: i64,
    ) -> Result<bool, DbError> {
        let marked = blob_chunk::Entity::update_many()
            .col_expr(blob_chunk::Column::State, Expr::value(DELETING))
            .col_expr(blob_chunk::Column::UpdatedAt, Expr::value(now))
            .filter(blob_chunk::Column::TenantId.eq(tenant_id.to_string()))
            .filter(blob_chunk::Column::Hash.eq(hash))
            .filter(blob_chunk::Column::RefCount.lte(0))
            .exec(&self.writer)
            .await?;
        Ok(marked.rows_affected > 0)
    }

    /// Forgets a collected chunk (its object is gone).
    pub async fn finish_collecting(&self, tenant_id: TenantId, hash: &str) -> Result<(), DbError> {
        blob_chunk::Entity::delete_many()
            .filter(blob_chunk::Column::TenantId.eq(tenant_id.to_string()))
            .filter(blob_chunk::Column::Hash.eq(hash))
            .filter(blob_chunk::Column::State.eq(DELETING))
            .exec(&self.writer)
            .await?;
        Ok(())
    }

    /// Every chunk row, and how many file positions name each `(tenant, hash)`: the storage check.
    pub async fn chunk_census(
        &self,
    ) -> Result<(Vec<ChunkRow>, HashMap<(TenantId, String), i64>), DbError> {
        #[derive(FromQueryResult)]
        struct Refs {
            tenant_id: String,
            hash: String,
            refs: i64,
        }
        let rows = blob_chunk::Entity::find()
            .all(&self.reader)
            .await?
            .into_iter()
            .map(to_chunk_row)
            .collect::<Result<Vec<_>, _>>()?;
        let refs = file_chunk::Entity::find()
            .select_only()
            .column(file_chunk::Column::TenantId)
            .column(file_chunk::Column::Hash)
            .column_as(
                Expr::col(file_chunk::Column::Seq)
                    .count()
                    .cast_as(sea_orm::sea_query::Alias::new(self.bigint_type())),
                "refs",
            )
            .group_by(file_chunk::Column::TenantId)
            .group_by(file_chunk::Column::Hash)
            .into_model::<Refs>()
            .all(&self.reader)
            .await?;
        let mut counted = HashMap::new();
        for row in refs {
            counted.insert((parse_id(&row.tenant_id)?, row.hash), row.refs);
        }
        Ok((rows, counted))
    }

    /// A user's storage use and quota override.
    pub async fn storage_usage(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<Usage, DbError> {
        Ok(usage_row(&self.reader, tenant_id, user_id)
            .await?
            .map(|row| Usage {
                used_bytes: to_u64(row.used_bytes),
                quota_override: row.quota_bytes.map(to_u64),
            })
            .unwrap_or_default())
    }

    /// Sets (or with `None` clears) a user's own quota.
    pub async fn set_storage_quota(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        quota: Option<u64>,
        now: i64,
    ) -> Result<Usage, DbError> {
        let txn = self.writer.begin().await?;
        ensure_usage_row(&txn, tenant_id, user_id, now).await?;
        storage_usage::Entity::update_many()
            .col_expr(
                storage_usage::Column::QuotaBytes,
                Expr::value(quota.map(to_i64)),
            )
            .col_expr(storage_usage::Column::UpdatedAt, Expr::value(now))
            .filter(storage_usage::Column::TenantId.eq(tenant_id.to_string()))
            .filter(storage_usage::Column::UserId.eq(user_id.to_string()))
            .exec(&txn)
            .await?;
        let row = usage_row(&txn, tenant_id, user_id)
            .await?
            .ok_or(DbError::NotFound("usage"))?;
        txn.commit().await?;
        Ok(Usage {
            used_bytes: to_u64(row.used_bytes),
            quota_override: row.quota_bytes.map(to_u64),
        })
    }

    /// Creates a drive folder (under `parent_id`, which must be the user's).
    pub async fn create_drive_folder(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        parent_id: Option<DriveFolderId>,
        name: &str,
        now: i64,
    ) -> Result<DriveFolder, DbError> {
        let txn = self.writer.begin().await?;
        let id = DriveFolderId::new();
        drive_folder::Entity::insert(drive_folder::ActiveModel {
            id: Set(id.to_string()),
            tenant_id: Set(tenant_id.to_string()),
            user_id: Set(user_id.to_string()),
            parent_id: Set(parent_id.map(|p| p.to_string())),
            name: Set(name.to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(&txn)
        .await?;
        if let Some(parent) = parent_id {
            ensure_folder(&txn, tenant_id, user_id, parent).await?;
        }
        txn.commit().await?;
        Ok(DriveFolder {
            id,
            parent_id,
            name: name.to_owned(),
            created_at: now,
            updated_at: now,
        })
    }

    /// A user's drive folders, by name.
    pub async fn list_drive_folders(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<Vec<DriveFolder>, DbError> {
        folders_of(&self.reader, tenant_id, user_id).await
    }

    /// Renames a folder and/or moves it (`Some(None)`: to the top level); a folder cannot move into
    /// itself or below itself.
    pub async fn update_drive_folder(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        id: DriveFolderId,
        name: Option<&str>,
        parent_id: Option<Option<DriveFolderId>>,
        now: i64,
    ) -> Result<DriveFolder, DbError> {
        let txn = self.writer.begin().await?;
        let mut update = drive_folder::Entity::update_many()
            .col_expr(drive_folder::Column::UpdatedAt, Expr::value(now));
        if let Some(name) = name {
            update = update.col_expr(drive_folder::Column::Name, Expr::value(name));
        }
        if let Some(parent) = parent_id {
            update = update.col_expr(
                drive_folder::Column::ParentId,
                Expr::value(parent.map(|p| p.to_string())),
            );
        }
        let updated = update
            .filter(drive_folder::Column::Id.eq(id.to_string()))
            .filter(drive_folder::Column::TenantId.eq(tenant_id.to_string()))
            .filter(drive_folder::Column::UserId.eq(user_id.to_string()))
            .exec(&txn)
            .await?;
        if updated.rows_affected == 0 {
            return Err(DbError::NotFound("folder"));
        }
        let folders = folders_of(&txn, tenant_id, user_id).await?;
        if let Some(Some(parent)) = parent_id {
            let tree: Vec<_> = folders.iter().map(|f| (f.id, f.parent_id)).collect();
            crate::chats::check_folder_move(&tree, id, parent)?;
        }
        let folder = folders
            .into_iter()
            .find(|f| f.id == id)
            .ok_or(DbError::NotFound("folder"))?;
        txn.commit().await?;
        Ok(folder)
    }

    /// Deletes a folder: its files and subfolders move up to its parent. Returns whether it existed.
    pub async fn delete_drive_folder(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        id: DriveFolderId,
        now: i64,
    ) -> Result<bool, DbError> {
        let txn = self.writer.begin().await?;
        let touched = drive_folder::Entity::update_many()
            .col_expr(drive_folder::Column::UpdatedAt, Expr::value(now))
            .filter(drive_folder::Column::Id.eq(id.to_string()))
            .filter(drive_folder::Column::TenantId.eq(tenant_id.to_string()))
            .filter(drive_folder::Column::UserId.eq(user_id.to_string()))
            .exec(&txn)
            .await?;
        if touched.rows_affected == 0 {
            return Ok(false);
        }
        let row = drive_folder::Entity::find_by_id(id.to_string())
            .one(&txn)
            .await?
            .ok_or(DbError::NotFound("folder"))?;
        drive_folder::Entity::update_many()
            .col_expr(
                drive_folder::Column::ParentId,
                Expr::value(row.parent_id.clone()),
            )
            .filter(drive_folder::Column::ParentId.eq(id.to_string()))
            .filter(drive_folder::Column::UserId.eq(user_id.to_string()))
            .exec(&txn)
            .await?;
        file::Entity::update_many()
            .col_expr(file::Column::FolderId, Expr::value(row.parent_id))
            .filter(file::Column::FolderId.eq(id.to_string()))
            .filter(file::Column::UserId.eq(user_id.to_string()))
            .exec(&txn)
            .await?;
        drive_folder::Entity::delete_by_id(id.to_string())
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(true)
    }

    /// Records that a user has an avatar of this type.
    pub async fn set_avatar(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
        content_type: &str,
        etag: &str,
        now: i64,
    ) -> Result<(), DbError> {
        avatar::Entity::insert(avatar::ActiveModel {
            tenant_id: Set(tenant_id.to_string()),
            user_id: Set(user_id.to_string()),
            content_type: Set(content_type.to_owned()),
            etag: Set(etag.to_owned()),
            updated_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([avatar::Column::TenantId, avatar::Column::UserId])
                .update_columns([
                    avatar::Column::ContentType,
                    avatar::Column::Etag,
                    avatar::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&self.writer)
        .await?;
        Ok(())
    }

    /// A user's avatar: its content type and validator.
    pub async fn avatar(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<Option<(String, String)>, DbError> {
        Ok(
            avatar::Entity::find_by_id((tenant_id.to_string(), user_id.to_string()))
                .one(&self.reader)
                .await?
                .map(|row| (row.content_type, row.etag)),
        )
    }

    /// Forgets a user's avatar; returns whether there was one.
    pub async fn delete_avatar(
        &self,
        tenant_id: TenantId,
        user_id: UserId,
    ) -> Result<bool, DbError> {
        let deleted = avatar::Entity::delete_many()
            .filter(avatar::Column::TenantId.eq(tenant_id.to_string()))
            .filter(avatar::Column::UserId.eq(user_id.to_string()))
            .exec(&self.writer)
            .await?;
        Ok(deleted.rows_affected > 0)
    }

    /// Every `(tenant, user)` with an avatar (the collector keeps their objects).
    pub async fn avatar_owners(&self) -> Result<Vec<(TenantId, UserId)>, DbError> {
        avatar::Entity::find()
            .all(&self.reader)
            .await?
            .into_iter()
            .map(|row| Ok((parse_id(&row.tenant_id)?, parse_id(&row.user_id)?)))
            .collect()
    }
}

/// Deletes every drive row of a user (their account is being deleted), releasing their references.
pub(crate) async fn remove_user_drive(
    txn: &impl ConnectionTrait,
    tenant_id: TenantId,
    user_id: UserId,
    now: i64,
) -> Result<(), DbError> {
    let ids = file::Entity::find()
        .filter(file::Column::TenantId.eq(tenant_id.to_string()))
        .filter(file::Column::UserId.eq(user_id.to_string()))
        .all(txn)
        .await?;
    for row in ids {
        remove_file(txn, tenant_id, Some(user_id), parse_id(&row.id)?, now).await?;
    }
    drive_folder::Entity::delete_many()
        .filter(drive_folder::Column::TenantId.eq(tenant_id.to_string()))
        .filter(drive_folder::Column::UserId.eq(user_id.to_string()))
        .exec(txn)
        .await?;
    storage_usage::Entity::delete_many()
        .filter(storage_usage::Column::TenantId.eq(tenant_id.to_string()))
        .filter(storage_usage::Column::UserId.eq(user_id.to_string()))
        .exec(txn)
        .await?;
    avatar::Entity::delete_many()
        .filter(avatar::Column::TenantId.eq(tenant_id.to_string()))
        .filter(avatar::Column::UserId.eq(user_id.to_string()))
        .exec(txn)
        .await?;
    Ok(())
}

async fn remove_file(
    txn: &impl ConnectionTrait,
    tenant_id: TenantId,
    user_id: Option<UserId>,
    id: FileId,
    now: i64,
) -> Result<Option<StoredFile>, DbError> {
    // The write first: it locks the row, so a concurrent upload step waits for us.
    let mut touch = file::Entity::update_many()
        .col_expr(file::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            file::Column::UploadToken,
            Expr::value(Option::<String>::None),
        )
        .filter(file::Column::Id.eq(id.to_string()))
        .filter(file::Column::TenantId.eq(tenant_id.to_string()));
    if let Some(user) = user_id {
        touch = touch.filter(file::Column::UserId.eq(user.to_string()));
    }
    if touch.exec(txn).await?.rows_affected == 0 {
        return Ok(None);
    }
    let row = file::Entity::find_by_id(id.to_string())
        .one(txn)
        .await?
        .ok_or(DbError::NotFound("file"))?;
    let removed = to_file(row)?;
    release_chunks(txn, tenant_id, id, None).await?;
    crate::knowledge::forget_file(txn, id).await?;
    file::Entity::delete_by_id(id.to_string()).exec(txn).await?;
    if removed.reserved_bytes > 0 {
        storage_usage::Entity::update_many()
            .col_expr(
                storage_usage::Column::UsedBytes,
                Expr::col(storage_usage::Column::UsedBytes).sub(to_i64(removed.reserved_bytes)),
            )
            .col_expr(storage_usage::Column::UpdatedAt, Expr::value(now))
            .filter(storage_usage::Column::TenantId.eq(tenant_id.to_string()))
            .filter(storage_usage::Column::UserId.eq(removed.user_id.to_string()))
            .exec(txn)
            .await?;
    }
    Ok(Some(removed))
}

/// Releases the chunk positions an interrupted request claimed past the acknowledged offset.
async fn release_unacknowledged_chunks(
    txn: &impl ConnectionTrait,
    file: &StoredFile,
) -> Result<(), DbError> {
    let whole_chunks = file.offset / u64::from(std::cmp::max(file.chunk_size, 1));
    release_chunks(txn, file.tenant_id, file.id, Some(whole_chunks)).await
}

/// Deletes a file's chunk positions from `from_seq` on (all with `None`) and takes their references
/// off the chunks, in the caller's transaction.
async fn release_chunks(
    txn: &impl ConnectionTrait,
    tenant_id: TenantId,
    id: FileId,
    from_seq: Option<u64>,
) -> Result<(), DbError> {
    let mut query =
        file_chunk::Entity::find().filter(file_chunk::Column::FileId.eq(id.to_string()));
    let mut delete =
        file_chunk::Entity::delete_many().filter(file_chunk::Column::FileId.eq(id.to_string()));
    if let Some(from) = from_seq {
        let from = i32::try_from(from).unwrap_or(i32::MAX);
        query = query.filter(file_chunk::Column::Seq.gte(from));
        delete = delete.filter(file_chunk::Column::Seq.gte(from));
    }
    let rows = query.all(txn).await?;
    if rows.is_empty() {
        return Ok(());
    }
    delete.exec(txn).await?;
    let mut per_hash: HashMap<String, i64> = HashMap::new();
    for row in rows {
        *per_hash.entry(row.hash).or_default() += 1;
    }
    // Sorted, so concurrent releases take row locks in the same order.
    let mut per_hash: Vec<_> = per_hash.into_iter().collect();
    per_hash.sort();
    for (hash, count) in per_hash {
        blob_chunk::Entity::update_many()
            .col_expr(
                blob_chunk::Column::RefCount,
                Expr::col(blob_chunk::Column::RefCount).sub(count),
            )
            .filter(blob_chunk::Column::TenantId.eq(tenant_id.to_string()))
            .filter(blob_chunk::Column::Hash.eq(hash))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Fails unless `token` still holds the upload; touches it (the transaction's first write).
async fn guard_upload(
    txn: &impl ConnectionTrait,
    id: FileId,
    token: Uuid,
    now: i64,
) -> Result<(), DbError> {
    let held = file::Entity::update_many()
        .col_expr(file::Column::UpdatedAt, Expr::value(now))
        .filter(file::Column::Id.eq(id.to_string()))
        .filter(file::Column::UploadToken.eq(token.to_string()))
        .filter(file::Column::State.eq(FileState::Uploading.as_str()))
        .exec(txn)
        .await?;
    if held.rows_affected == 0 {
        return Err(DbError::Conflict(
            "this upload was taken over by a newer request, or it ended".into(),
        ));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn advance(
    txn: &impl ConnectionTrait,
    tenant_id: TenantId,
    user_id: UserId,
    id: FileId,
    token: Uuid,
    progress: &Progress,
    completion: Option<&Completion>,
    now: i64,
) -> Result<(), DbError> {
    let mut update = file::Entity::update_many()
        .col_expr(
            file::Column::UploadOffset,
            Expr::value(to_i64(progress.to_offset)),
        )
        .col_expr(
            file::Column::TailKey,
            Expr::value(progress.tail_key.clone()),
        )
        .col_expr(
            file::Column::ReservedBytes,
            Expr::col(file::Column::ReservedBytes).add(to_i64(progress.reserve)),
        )
        .col_expr(file::Column::UpdatedAt, Expr::value(now));
    let expires_at = match completion {
        Some(_) => Some(None),
        None => progress.expires_at.map(Some),
    };
    if let Some(expires_at) = expires_at {
        update = update.col_expr(file::Column::ExpiresAt, Expr::value(expires_at));
    }
    if let Some(done) = completion {
        update = update
            .col_expr(file::Column::State, Expr::value(FileState::Ready.as_str()))
            .col_expr(
                file::Column::Length,
                Expr::value(to_i64(progress.to_offset)),
            )
            .col_expr(
                file::Column::UploadToken,
                Expr::value(Option::<String>::None),
            )
            .col_expr(file::Column::Etag, Expr::value(done.etag.clone()))
            .col_expr(
                file::Column::ContentType,
                Expr::value(done.content_type.clone()),
            );
    }
    let advanced = update
        .filter(file::Column::Id.eq(id.to_string()))
        .filter(file::Column::UploadToken.eq(token.to_string()))
        .filter(file::Column::State.eq(FileState::Uploading.as_str()))
        .filter(file::Column::UploadOffset.eq(to_i64(progress.from_offset)))
        .exec(txn)
        .await?;
    if advanced.rows_affected == 0 {
        return Err(DbError::Conflict(
            "this upload was taken over by a newer request, or it ended".into(),
        ));
    }
    if progress.reserve > 0 {
        reserve(
            txn,
            tenant_id,
            user_id,
            progress.reserve,
            progress.default_quota,
            now,
        )
        .await?;
    }
    if !progress.stored.is_empty() {
        blob_chunk::Entity::update_many()
            .col_expr(blob_chunk::Column::Stored, Expr::value(true))
            .filter(blob_chunk::Column::TenantId.eq(tenant_id.to_string()))
            .filter(blob_chunk::Column::Hash.is_in(progress.stored.iter().cloned()))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Counts `bytes` against the user's quota, atomically: the update only applies while it fits.
async fn reserve(
    txn: &impl ConnectionTrait,
    tenant_id: TenantId,
    user_id: UserId,
    bytes: u64,
    default_quota: Option<u64>,
    now: i64,
) -> Result<(), DbError> {
    ensure_usage_row(txn, tenant_id, user_id, now).await?;
    let after = Expr::col(storage_usage::Column::UsedBytes).add(to_i64(bytes));
    let fits = match default_quota {
        None => Condition::any()
            .add(storage_usage::Column::QuotaBytes.is_null())
            .add(
                after
                    .clone()
                    .lte(Expr::col(storage_usage::Column::QuotaBytes)),
            ),
        Some(quota) => Condition::all().add(
            Expr::expr(Func::coalesce([
                Expr::col(storage_usage::Column::QuotaBytes),
                Expr::val(to_i64(quota)),
            ]))
            .gte(after.clone()),
        ),
    };
    let reserved = storage_usage::Entity::update_many()
        .col_expr(storage_usage::Column::UsedBytes, after)
        .col_expr(storage_usage::Column::UpdatedAt, Expr::value(now))
        .filter(storage_usage::Column::TenantId.eq(tenant_id.to_string()))
        .filter(storage_usage::Column::UserId.eq(user_id.to_string()))
        .filter(fits)
        .exec(txn)
        .await?;
    if reserved.rows_affected > 0 {
        return Ok(());
    }
    let row = usage_row(txn, tenant_id, user_id)
        .await?
        .ok_or(DbError::NotFound("usage"))?;
    Err(DbError::QuotaExceeded {
        used: to_u64(row.used_bytes),
        quota: row.quota_bytes.map(to_u64).or(default_quota).unwrap_or(0),
    })
}

async fn ensure_usage_row(
    txn: &impl ConnectionTrait,
    tenant_id: TenantId,
    user_id: UserId,
    now: i64,
) -> Result<(), DbError> {
    storage_usage::Entity::insert(storage_usage::ActiveModel {
        tenant_id: Set(tenant_id.to_string()),
        user_id: Set(user_id.to_string()),
        used_bytes: Set(0),
        quota_bytes: Set(None),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            storage_usage::Column::TenantId,
            storage_usage::Column::UserId,
        ])
        // A no-op update rather than `do_nothing`, which sea-query renders as invalid SQL for MariaDB.
        .update_column(storage_usage::Column::TenantId)
        .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

async fn usage_row(
    conn: &impl ConnectionTrait,
    tenant_id: TenantId,
    user_id: UserId,
) -> Result<Option<storage_usage::Model>, DbError> {
    Ok(
        storage_usage::Entity::find_by_id((tenant_id.to_string(), user_id.to_string()))
            .one(conn)
            .await?,
    )
}

async fn ensure_folder(
    conn: &impl ConnectionTrait,
    tenant_id: TenantId,
    user_id: UserId,
    id: DriveFolderId,
) -> Result<(), DbError> {
    let found = drive_folder::Entity::find_by_id(id.to_string())
        .filter(drive_folder::Column::TenantId.eq(tenant_id.to_string()))
        .filter(drive_folder::Column::UserId.eq(user_id.to_string()))
        .count(conn)
        .await?;
    if found == 0 {
        return Err(DbError::NotFound("folder"));
    }
    Ok(())
}

async fn folders_of(
    conn: &impl ConnectionTrait,
    tenant_id: TenantId,
    user_id: UserId,
) -> Result<Vec<DriveFolder>, DbError> {
    drive_folder::Entity::find()
        .filter(drive_folder::Column::TenantId.eq(tenant_id.to_string()))
        .filter(drive_folder::Column::UserId.eq(user_id.to_string()))
        .order_by_asc(drive_folder::Column::Name)
        .all(conn)
        .await?
        .into_iter()
        .map(|row| {
            Ok(DriveFolder {
                id: parse_id(&row.id)?,
                parent_id: row.parent_id.as_deref().map(parse_id).transpose()?,
                name: row.name,
                created_at: row.created_at,
                updated_at: row.updated_at,
            })
        })
        .collect()
}

async fn chunks_of(conn: &impl ConnectionTrait, id: FileId) -> Result<Vec<ChunkRef>, DbError> {
    Ok(file_chunk::Entity::find()
        .filter(file_chunk::Column::FileId.eq(id.to_string()))
        .order_by_asc(file_chunk::Column::Seq)
        .all(conn)
        .await?
        .into_iter()
        .map(|row| ChunkRef {
            seq: u32::try_from(row.seq).unwrap_or(0),
            hash: row.hash,
            size: u32::try_from(row.size).unwrap_or(0),
        })
        .collect())
}

fn to_chunk_row(row: blob_chunk::Model) -> Result<ChunkRow, DbError> {
    Ok(ChunkRow {
        tenant_id: parse_id(&row.tenant_id)?,
        hash: row.hash,
        ref_count: row.ref_count,
        deleting: row.state == DELETING,
        stored: row.stored,
    })
}

fn to_file(row: file::Model) -> Result<StoredFile, DbError> {
    Ok(StoredFile {
        id: parse_id(&row.id)?,
        tenant_id: parse_id(&row.tenant_id)?,
        user_id: parse_id(&row.user_id)?,
        folder_id: row.folder_id.as_deref().map(parse_id).transpose()?,
        filename: row.filename,
        content_type: row.content_type,
        state: FileState::parse(&row.state)
            .ok_or_else(|| DbError::Corrupt(format!("file state `{}`", row.state)))?,
        length: row.length.map(to_u64),
        offset: to_u64(row.upload_offset),
        upload_metadata: row.upload_metadata,
        reserved_bytes: to_u64(row.reserved_bytes),
        chunk_size: u32::try_from(row.chunk_size).unwrap_or(0),
        tail_key: row.tail_key,
        etag: row.etag,
        expires_at: row.expires_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}
