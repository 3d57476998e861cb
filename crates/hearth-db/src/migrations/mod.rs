//! Schema migrations, embedded in the binary and written once for all three backends with
//! sea-query's schema DSL. Applied by [`crate::Store::migrate`] under a database-level lock.
//!
//! Add a migration as a new module named `mYYYYMMDD_NNNNNN_what` and append it to the list; never
//! edit one that has shipped.

mod m20261122_000001_accounts;
mod m20261122_000002_chat;
mod m20261122_000003_jobs;
mod m20261201_000004_drive;
mod m20261202_000005_knowledge;
mod m20261202_000006_streaming_answers;
mod m20261202_000007_admin_settings;

use sea_orm_migration::prelude::*;

pub(crate) struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_accounts::Migration),
            Box::new(m20261122_000002_chat::Migration),
            Box::new(m20261122_000003_jobs::Migration),
            Box::new(m20261201_000004_drive::Migration),
            Box::new(m20261202_000005_knowledge::Migration),
            Box::new(m20261202_000006_streaming_answers::Migration),
            Box::new(m20261202_000007_admin_settings::Migration),
        ]
    }

    fn migration_table_name() -> DynIden {
        Alias::new("hearth_migrations").into_iden()
    }
}
