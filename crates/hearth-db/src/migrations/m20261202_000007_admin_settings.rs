//! `admin_settings`: values administrators set in the UI for settings the environment leaves open
//! (RAG, upload limits, sign-up). One row per tenant and setting name, the value as JSON.

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
enum AdminSettings {
    Table,
    TenantId,
    Name,
    Value,
    UpdatedAt,
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
                    .table(AdminSettings::Table)
                    .col(string_len(AdminSettings::TenantId, 36))
                    .col(string_len(AdminSettings::Name, 64))
                    .col(text(AdminSettings::Value))
                    .col(big_integer(AdminSettings::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(AdminSettings::TenantId)
                            .col(AdminSettings::Name),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(AdminSettings::Table, AdminSettings::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AdminSettings::Table).to_owned())
            .await
    }
}
