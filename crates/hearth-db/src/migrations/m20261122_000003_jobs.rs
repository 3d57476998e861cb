//! Background jobs (the database-backed job queue) and the canary jobs' record of their runs.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    TenantId,
    OwnerId,
    Kind,
    Queue,
    State,
    Payload,
    Attempt,
    MaxAttempts,
    RunAt,
    LeaseUntil,
    Worker,
    DedupeKey,
    LastError,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum JobCanaries {
    Table,
    JobId,
    Runs,
    Worker,
    FinishedAt,
}

// The trait is declared with an elided lifetime in `SchemaManager`; the impl must match it.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut payload = text(Jobs::Payload);
        if manager.get_database_backend() == DbBackend::MySql {
            payload.custom(Alias::new("LONGTEXT"));
        }
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(string_len(Jobs::Id, 36).primary_key())
                    .col(string_len(Jobs::TenantId, 36))
                    .col(string_len_null(Jobs::OwnerId, 36))
                    .col(string_len(Jobs::Kind, 100))
                    .col(small_integer(Jobs::Queue))
                    .col(string_len(Jobs::State, 16))
                    .col(payload)
                    .col(integer(Jobs::Attempt))
                    .col(integer(Jobs::MaxAttempts))
                    .col(big_integer(Jobs::RunAt))
                    .col(big_integer_null(Jobs::LeaseUntil))
                    .col(string_len_null(Jobs::Worker, 200))
                    .col(string_len_null(Jobs::DedupeKey, 255))
                    .col(text_null(Jobs::LastError))
                    .col(big_integer(Jobs::CreatedAt))
                    .col(big_integer(Jobs::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // Leasing takes the first due job of a queue in (run_at, id) order: with `id` in the index
        // that is its first entry, not a sort of every job due at the same millisecond.
        manager
            .create_index(
                Index::create()
                    .name("jobs_due")
                    .table(Jobs::Table)
                    .col(Jobs::State)
                    .col(Jobs::Queue)
                    .col(Jobs::RunAt)
                    .col(Jobs::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("jobs_by_lease")
                    .table(Jobs::Table)
                    .col(Jobs::State)
                    .col(Jobs::LeaseUntil)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("jobs_by_change")
                    .table(Jobs::Table)
                    .col(Jobs::State)
                    .col(Jobs::UpdatedAt)
                    .to_owned(),
            )
            .await?;
        // Many NULLs are allowed by all three backends; equal keys are not.
        manager
            .create_index(
                Index::create()
                    .name("jobs_dedupe_key")
                    .table(Jobs::Table)
                    .col(Jobs::DedupeKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(JobCanaries::Table)
                    .col(string_len(JobCanaries::JobId, 36).primary_key())
                    .col(integer(JobCanaries::Runs))
                    .col(string_len(JobCanaries::Worker, 200))
                    .col(big_integer(JobCanaries::FinishedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(JobCanaries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Jobs::Table).to_owned())
            .await
    }
}
