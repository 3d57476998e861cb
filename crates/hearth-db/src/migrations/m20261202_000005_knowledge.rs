//! Knowledge: knowledge bases and their files, each file's ingestion state, and the passages that
//! retrieval searches — with each backend's own full-text index over them (SQLite FTS5, a
//! PostgreSQL `tsvector` column under GIN, a MariaDB/MySQL `FULLTEXT` index).

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum KnowledgeBases {
    Table,
    Id,
    TenantId,
    UserId,
    Name,
    Description,
    ReadAccess,
    WriteAccess,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum KnowledgeFiles {
    Table,
    KnowledgeId,
    FileId,
    TenantId,
    AddedAt,
}

#[derive(DeriveIden)]
enum FileIngestion {
    Table,
    FileId,
    TenantId,
    Status,
    Error,
    Passages,
    EmbeddingModel,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Sources,
}

#[derive(DeriveIden)]
enum Passages {
    Table,
    Rid,
    Id,
    TenantId,
    FileId,
    Seq,
    Text,
    Page,
    Heading,
}

fn id<T: IntoIden>(column: T) -> ColumnDef {
    string_len(column, 36)
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    columns: Vec<DynIden>,
    unique: bool,
) -> Result<(), DbErr> {
    let mut statement = Index::create();
    statement.name(name).table(table);
    if unique {
        statement.unique();
    }
    for column in columns {
        statement.col(column);
    }
    manager.create_index(statement.to_owned()).await
}

/// The full-text index over `passages.text`, in each backend's own form.
const SQLITE_FULL_TEXT: &[&str] = &[
    "CREATE VIRTUAL TABLE passages_fts USING fts5(text, content='passages', content_rowid='rid', \
     tokenize='porter unicode61')",
    "CREATE TRIGGER passages_fts_insert AFTER INSERT ON passages BEGIN \
     INSERT INTO passages_fts(rowid, text) VALUES (new.rid, new.text); END",
    "CREATE TRIGGER passages_fts_delete AFTER DELETE ON passages BEGIN \
     INSERT INTO passages_fts(passages_fts, rowid, text) VALUES ('delete', old.rid, old.text); END",
    "CREATE TRIGGER passages_fts_update AFTER UPDATE ON passages BEGIN \
     INSERT INTO passages_fts(passages_fts, rowid, text) VALUES ('delete', old.rid, old.text); \
     INSERT INTO passages_fts(rowid, text) VALUES (new.rid, new.text); END",
];
const POSTGRES_FULL_TEXT: &[&str] = &[
    "ALTER TABLE passages ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED",
    "CREATE INDEX passages_tsv ON passages USING gin (tsv)",
];
const MYSQL_FULL_TEXT: &[&str] = &["ALTER TABLE passages ADD FULLTEXT INDEX passages_text (text)"];

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
                    .table(KnowledgeBases::Table)
                    .col(id(KnowledgeBases::Id).primary_key())
                    .col(id(KnowledgeBases::TenantId))
                    .col(id(KnowledgeBases::UserId))
                    .col(string_len(KnowledgeBases::Name, 255))
                    .col(text(KnowledgeBases::Description))
                    .col(text(KnowledgeBases::ReadAccess))
                    .col(text(KnowledgeBases::WriteAccess))
                    .col(big_integer(KnowledgeBases::CreatedAt))
                    .col(big_integer(KnowledgeBases::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "knowledge_bases_by_tenant",
            KnowledgeBases::Table,
            vec![
                KnowledgeBases::TenantId.into_iden(),
                KnowledgeBases::UpdatedAt.into_iden(),
            ],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(KnowledgeFiles::Table)
                    .col(id(KnowledgeFiles::KnowledgeId))
                    .col(id(KnowledgeFiles::FileId))
                    .col(id(KnowledgeFiles::TenantId))
                    .col(big_integer(KnowledgeFiles::AddedAt))
                    .primary_key(
                        Index::create()
                            .col(KnowledgeFiles::KnowledgeId)
                            .col(KnowledgeFiles::FileId),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "knowledge_files_by_file",
            KnowledgeFiles::Table,
            vec![KnowledgeFiles::FileId.into_iden()],
            false,
        )
        .await?;

        // One row per file that was ever queued for ingestion.
        manager
            .create_table(
                Table::create()
                    .table(FileIngestion::Table)
                    .col(id(FileIngestion::FileId).primary_key())
                    .col(id(FileIngestion::TenantId))
                    .col(string_len(FileIngestion::Status, 16))
                    .col(text_null(FileIngestion::Error))
                    .col(integer(FileIngestion::Passages))
                    .col(string_len_null(FileIngestion::EmbeddingModel, 255))
                    .col(big_integer(FileIngestion::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "file_ingestion_by_status",
            FileIngestion::Table,
            vec![
                FileIngestion::TenantId.into_iden(),
                FileIngestion::Status.into_iden(),
            ],
            false,
        )
        .await?;

        // `rid` is the integer row id SQLite's FTS5 table refers to; `id` is `{file_id}:{seq}`.
        manager
            .create_table(
                Table::create()
                    .table(Passages::Table)
                    .col(big_integer(Passages::Rid).auto_increment().primary_key())
                    .col(string_len(Passages::Id, 48))
                    .col(id(Passages::TenantId))
                    .col(id(Passages::FileId))
                    .col(integer(Passages::Seq))
                    .col(text(Passages::Text))
                    .col(integer_null(Passages::Page))
                    .col(string_len_null(Passages::Heading, 512))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "passages_by_id",
            Passages::Table,
            vec![Passages::Id.into_iden()],
            true,
        )
        .await?;
        index(
            manager,
            "passages_by_file",
            Passages::Table,
            vec![Passages::FileId.into_iden(), Passages::Seq.into_iden()],
            false,
        )
        .await?;
        // The passages an answer was given, for its citations.
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .add_column(text_null(Messages::Sources))
                    .to_owned(),
            )
            .await?;
        let full_text = match manager.get_database_backend() {
            DbBackend::Sqlite => SQLITE_FULL_TEXT,
            DbBackend::Postgres => POSTGRES_FULL_TEXT,
            _ => MYSQL_FULL_TEXT,
        };
        for statement in full_text {
            manager
                .get_connection()
                .execute_unprepared(statement)
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            manager
                .get_connection()
                .execute_unprepared("DROP TABLE IF EXISTS passages_fts")
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .drop_column(Messages::Sources)
                    .to_owned(),
            )
            .await?;
        for table in [
            Passages::Table.into_iden(),
            FileIngestion::Table.into_iden(),
            KnowledgeFiles::Table.into_iden(),
            KnowledgeBases::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
