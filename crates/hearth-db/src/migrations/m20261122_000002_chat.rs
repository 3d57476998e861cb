//! Groups, model connections and per-model settings, folders, chats with their message trees, tags
//! and share snapshots.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Groups {
    Table,
    Id,
    TenantId,
    Name,
    Description,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum GroupMembers {
    Table,
    GroupId,
    UserId,
    TenantId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Connections {
    Table,
    Id,
    TenantId,
    Kind,
    Name,
    BaseUrl,
    ApiKeyEncrypted,
    Prefix,
    ModelAllowList,
    Enabled,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ModelOverrides {
    Table,
    TenantId,
    ModelId,
    DisplayName,
    Hidden,
    Access,
    SystemPrompt,
    Params,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Folders {
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
enum Chats {
    Table,
    Id,
    TenantId,
    UserId,
    Title,
    FolderId,
    Pinned,
    Archived,
    CurrentMessageId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    TenantId,
    ChatId,
    ParentId,
    Role,
    Content,
    Model,
    Status,
    Error,
    Usage,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ChatTags {
    Table,
    ChatId,
    TenantId,
    UserId,
    Tag,
}

#[derive(DeriveIden)]
enum ChatShares {
    Table,
    Id,
    TenantId,
    ChatId,
    UserId,
    Snapshot,
    CreatedAt,
}

fn id<T: IntoIden>(column: T) -> ColumnDef {
    string_len(column, 36)
}

fn id_null<T: IntoIden>(column: T) -> ColumnDef {
    string_len_null(column, 36)
}

/// Text that may exceed 64 KiB (answers, snapshots): MariaDB's `TEXT` would refuse it.
fn long_text<T: IntoIden>(column: T, backend: DbBackend) -> ColumnDef {
    let mut column = text(column);
    if backend == DbBackend::MySql {
        column.custom(Alias::new("LONGTEXT"));
    }
    column
}

fn cascade<T: IntoIden + 'static, U: IntoIden + 'static>(
    from: (T, impl IntoIden),
    to: (U, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
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
    for column in columns {
        statement.col(column);
    }
    if unique {
        statement.unique();
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
        let backend = manager.get_database_backend();

        manager
            .create_table(
                Table::create()
                    .table(Groups::Table)
                    .col(id(Groups::Id).primary_key())
                    .col(id(Groups::TenantId))
                    .col(string_len(Groups::Name, 255))
                    .col(string_len(Groups::Description, 1024))
                    .col(big_integer(Groups::CreatedAt))
                    .col(big_integer(Groups::UpdatedAt))
                    .foreign_key(&mut cascade(
                        (Groups::Table, Groups::TenantId),
                        (Tenants::Table, Tenants::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_groups_tenant_name",
            Groups::Table,
            vec![Groups::TenantId.into_iden(), Groups::Name.into_iden()],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(GroupMembers::Table)
                    .col(id(GroupMembers::GroupId))
                    .col(id(GroupMembers::UserId))
                    .col(id(GroupMembers::TenantId))
                    .col(big_integer(GroupMembers::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(GroupMembers::GroupId)
                            .col(GroupMembers::UserId),
                    )
                    .foreign_key(&mut cascade(
                        (GroupMembers::Table, GroupMembers::GroupId),
                        (Groups::Table, Groups::Id),
                    ))
                    .foreign_key(&mut cascade(
                        (GroupMembers::Table, GroupMembers::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_group_members_user",
            GroupMembers::Table,
            vec![GroupMembers::UserId.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Connections::Table)
                    .col(id(Connections::Id).primary_key())
                    .col(id(Connections::TenantId))
                    .col(string_len(Connections::Kind, 16))
                    .col(string_len(Connections::Name, 255))
                    .col(string_len(Connections::BaseUrl, 2048))
                    .col(text_null(Connections::ApiKeyEncrypted))
                    .col(string_len_null(Connections::Prefix, 64))
                    .col(text(Connections::ModelAllowList))
                    .col(boolean(Connections::Enabled))
                    .col(big_integer(Connections::CreatedAt))
                    .col(big_integer(Connections::UpdatedAt))
                    .foreign_key(&mut cascade(
                        (Connections::Table, Connections::TenantId),
                        (Tenants::Table, Tenants::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ModelOverrides::Table)
                    .col(id(ModelOverrides::TenantId))
                    .col(string_len(ModelOverrides::ModelId, 255))
                    .col(string_len_null(ModelOverrides::DisplayName, 255))
                    .col(boolean(ModelOverrides::Hidden))
                    .col(text_null(ModelOverrides::Access))
                    .col(text_null(ModelOverrides::SystemPrompt))
                    .col(text(ModelOverrides::Params))
                    .col(big_integer(ModelOverrides::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(ModelOverrides::TenantId)
                            .col(ModelOverrides::ModelId),
                    )
                    .foreign_key(&mut cascade(
                        (ModelOverrides::Table, ModelOverrides::TenantId),
                        (Tenants::Table, Tenants::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Folders::Table)
                    .col(id(Folders::Id).primary_key())
                    .col(id(Folders::TenantId))
                    .col(id(Folders::UserId))
                    .col(id_null(Folders::ParentId))
                    .col(string_len(Folders::Name, 255))
                    .col(big_integer(Folders::CreatedAt))
                    .col(big_integer(Folders::UpdatedAt))
                    .foreign_key(&mut cascade(
                        (Folders::Table, Folders::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_folders_user",
            Folders::Table,
            vec![Folders::UserId.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Chats::Table)
                    .col(id(Chats::Id).primary_key())
                    .col(id(Chats::TenantId))
                    .col(id(Chats::UserId))
                    .col(string_len(Chats::Title, 512))
                    .col(id_null(Chats::FolderId))
                    .col(boolean(Chats::Pinned))
                    .col(boolean(Chats::Archived))
                    .col(id_null(Chats::CurrentMessageId))
                    .col(big_integer(Chats::CreatedAt))
                    .col(big_integer(Chats::UpdatedAt))
                    .foreign_key(&mut cascade(
                        (Chats::Table, Chats::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_chats_user_updated",
            Chats::Table,
            vec![Chats::UserId.into_iden(), Chats::UpdatedAt.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .col(id(Messages::Id).primary_key())
                    .col(id(Messages::TenantId))
                    .col(id(Messages::ChatId))
                    .col(id_null(Messages::ParentId))
                    .col(string_len(Messages::Role, 16))
                    .col(long_text(Messages::Content, backend))
                    .col(string_len_null(Messages::Model, 255))
                    .col(string_len(Messages::Status, 16))
                    .col(text_null(Messages::Error))
                    .col(text_null(Messages::Usage))
                    .col(big_integer(Messages::CreatedAt))
                    .foreign_key(&mut cascade(
                        (Messages::Table, Messages::ChatId),
                        (Chats::Table, Chats::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_messages_chat",
            Messages::Table,
            vec![Messages::ChatId.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ChatTags::Table)
                    .col(id(ChatTags::ChatId))
                    .col(id(ChatTags::TenantId))
                    .col(id(ChatTags::UserId))
                    .col(string_len(ChatTags::Tag, 64))
                    .primary_key(Index::create().col(ChatTags::ChatId).col(ChatTags::Tag))
                    .foreign_key(&mut cascade(
                        (ChatTags::Table, ChatTags::ChatId),
                        (Chats::Table, Chats::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_chat_tags_user_tag",
            ChatTags::Table,
            vec![ChatTags::UserId.into_iden(), ChatTags::Tag.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ChatShares::Table)
                    .col(string_len(ChatShares::Id, 64).primary_key())
                    .col(id(ChatShares::TenantId))
                    .col(id(ChatShares::ChatId))
                    .col(id(ChatShares::UserId))
                    .col(long_text(ChatShares::Snapshot, backend))
                    .col(big_integer(ChatShares::CreatedAt))
                    .foreign_key(&mut cascade(
                        (ChatShares::Table, ChatShares::ChatId),
                        (Chats::Table, Chats::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_chat_shares_chat",
            ChatShares::Table,
            vec![ChatShares::ChatId.into_iden()],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            ChatShares::Table.into_iden(),
            ChatTags::Table.into_iden(),
            Messages::Table.into_iden(),
            Chats::Table.into_iden(),
            Folders::Table.into_iden(),
            ModelOverrides::Table.into_iden(),
            Connections::Table.into_iden(),
            GroupMembers::Table.into_iden(),
            Groups::Table.into_iden(),
        ];
        for table in tables {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
