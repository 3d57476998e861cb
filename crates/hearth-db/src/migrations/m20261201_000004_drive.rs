//! The drive: folders, files (and their resumable uploads), each file's ordered chunk list, the
//! reference-counted content chunks, per-user storage usage and quotas, and avatars.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum DriveFolders {
    Table,
    Id,
    TenantId,
    UserId,
    ParentId,
    Name,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Files {
    Table,
    Id,
    TenantId,
    UserId,
    FolderId,
    Filename,
    ContentType,
    State,
    Length,
    UploadOffset,
    UploadToken,
    TailKey,
    UploadMetadata,
    ReservedBytes,
    ChunkSize,
    Etag,
    ExpiresAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum FileChunks {
    Table,
    FileId,
    Seq,
    TenantId,
    Hash,
    Size,
}

#[derive(DeriveIden)]
enum BlobChunks {
    Table,
    TenantId,
    Hash,
    Size,
    RefCount,
    State,
    Stored,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StorageUsage {
    Table,
    TenantId,
    UserId,
    UsedBytes,
    QuotaBytes,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Avatars {
    Table,
    TenantId,
    UserId,
    ContentType,
    Etag,
    UpdatedAt,
}

fn id<T: IntoIden>(column: T) -> ColumnDef {
    string_len(column, 36)
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    columns: Vec<DynIden>,
) -> Result<(), DbErr> {
    let mut statement = Index::create();
    statement.name(name).table(table);
    for column in columns {
        statement.col(column);
    }
    manager.create_index(statement.to_owned()).await
}

// The trait is declared with an elided lifetime in `SchemaManager`; the impl must match it.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DriveFolders::Table)
                    .col(id(DriveFolders::Id).primary_key())
                    .col(id(DriveFolders::TenantId))
                    .col(id(DriveFolders::UserId))
                    .col(string_len_null(DriveFolders::ParentId, 36))
                    .col(string_len(DriveFolders::Name, 255))
                    .col(big_integer(DriveFolders::CreatedAt))
                    .col(big_integer(DriveFolders::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "drive_folders_by_owner",
            DriveFolders::Table,
            vec![
                DriveFolders::TenantId.into_iden(),
                DriveFolders::UserId.into_iden(),
                DriveFolders::ParentId.into_iden(),
            ],
        )
        .await?;

        // A file row exists from the first byte of its upload: `state` is `uploading` until the last
        // byte is stored, then `ready`. The upload columns are null once it is ready.
        manager
            .create_table(
                Table::create()
                    .table(Files::Table)
                    .col(id(Files::Id).primary_key())
                    .col(id(Files::TenantId))
                    .col(id(Files::UserId))
                    .col(string_len_null(Files::FolderId, 36))
                    .col(string_len(Files::Filename, 255))
                    .col(string_len(Files::ContentType, 255))
                    .col(string_len(Files::State, 16))
                    .col(big_integer_null(Files::Length))
                    .col(big_integer(Files::UploadOffset))
                    .col(string_len_null(Files::UploadToken, 36))
                    .col(string_len_null(Files::TailKey, 255))
                    .col(text_null(Files::UploadMetadata))
                    .col(big_integer(Files::ReservedBytes))
                    .col(integer(Files::ChunkSize))
                    .col(string_len_null(Files::Etag, 80))
                    .col(big_integer_null(Files::ExpiresAt))
                    .col(big_integer(Files::CreatedAt))
                    .col(big_integer(Files::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "files_by_owner",
            Files::Table,
            vec![
                Files::TenantId.into_iden(),
                Files::UserId.into_iden(),
                Files::FolderId.into_iden(),
            ],
        )
        .await?;
        index(
            manager,
            "files_by_expiry",
            Files::Table,
            vec![Files::State.into_iden(), Files::ExpiresAt.into_iden()],
        )
        .await?;

        // One row per chunk position of a file: the reference that keeps a content chunk alive.
        manager
            .create_table(
                Table::create()
                    .table(FileChunks::Table)
                    .col(id(FileChunks::FileId))
                    .col(integer(FileChunks::Seq))
                    .col(id(FileChunks::TenantId))
                    .col(string_len(FileChunks::Hash, 64))
                    .col(integer(FileChunks::Size))
                    .primary_key(Index::create().col(FileChunks::FileId).col(FileChunks::Seq))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "file_chunks_by_hash",
            FileChunks::Table,
            vec![
                FileChunks::TenantId.into_iden(),
                FileChunks::Hash.into_iden(),
            ],
        )
        .await?;

        // One row per stored content chunk of a tenant. `ref_count` equals the number of
        // `file_chunks` rows naming it (kept in the same transactions); `state` is `live`, or
        // `deleting` while the collector removes the object.
        manager
            .create_table(
                Table::create()
                    .table(BlobChunks::Table)
                    .col(id(BlobChunks::TenantId))
                    .col(string_len(BlobChunks::Hash, 64))
                    .col(integer(BlobChunks::Size))
                    .col(big_integer(BlobChunks::RefCount))
                    .col(string_len(BlobChunks::State, 16))
                    .col(boolean(BlobChunks::Stored))
                    .col(big_integer(BlobChunks::CreatedAt))
                    .col(big_integer(BlobChunks::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(BlobChunks::TenantId)
                            .col(BlobChunks::Hash),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "blob_chunks_by_refs",
            BlobChunks::Table,
            vec![BlobChunks::RefCount.into_iden()],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(StorageUsage::Table)
                    .col(id(StorageUsage::TenantId))
                    .col(id(StorageUsage::UserId))
                    .col(big_integer(StorageUsage::UsedBytes))
                    .col(big_integer_null(StorageUsage::QuotaBytes))
                    .col(big_integer(StorageUsage::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(StorageUsage::TenantId)
                            .col(StorageUsage::UserId),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Avatars::Table)
                    .col(id(Avatars::TenantId))
                    .col(id(Avatars::UserId))
                    .col(string_len(Avatars::ContentType, 100))
                    .col(string_len(Avatars::Etag, 80))
                    .col(big_integer(Avatars::UpdatedAt))
                    .primary_key(Index::create().col(Avatars::TenantId).col(Avatars::UserId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Avatars::Table.into_iden(),
            StorageUsage::Table.into_iden(),
            BlobChunks::Table.into_iden(),
            FileChunks::Table.into_iden(),
            Files::Table.into_iden(),
            DriveFolders::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
