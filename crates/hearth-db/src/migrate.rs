//! Applying migrations exactly once when many processes start together.
//!
//! Before looking at the schema, a process takes a database-level lock held by a dedicated
//! connection: `pg_advisory_lock` on PostgreSQL, `GET_LOCK` on MariaDB/MySQL, an exclusive lock on a
//! file next to the database on SQLite. The first process migrates; the others wait, then find nothing
//! pending. A process that dies while holding the lock releases it with its connection (or file).

use std::fs::File;
use std::path::Path;
use std::time::Duration;

use hearth_config::DatabaseTarget;
use sea_orm_migration::MigratorTrait;
use sqlx::{Connection, MySqlConnection, PgConnection};

use crate::migrations::Migrator;
use crate::{DbError, Store};

/// Key of the PostgreSQL advisory lock (the bytes of "hearthmg").
const PG_LOCK_KEY: i64 = 0x6865_6172_7468_6d67;
/// Name of the MariaDB/MySQL named lock.
const MYSQL_LOCK_NAME: &str = "hearth_migrations";
/// How long one `GET_LOCK` call waits before asking again.
const MYSQL_LOCK_WAIT: Duration = Duration::from_secs(10);

/// What a migration run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MigrationReport {
    /// Names of the migrations this process applied; empty when the schema was already current.
    pub applied: Vec<String>,
}

/// The held lock; released explicitly, or implicitly when the process dies.
enum MigrationLock {
    Postgres(PgConnection),
    MySql(MySqlConnection),
    Sqlite(File),
}

impl Store {
    /// Applies pending migrations under the database-level lock.
    pub async fn migrate(&self) -> Result<MigrationReport, DbError> {
        let lock = self.acquire_migration_lock().await?;
        let result = self.migrate_locked().await;
        lock.release().await?;
        result
    }

    /// Names of every migration this version carries, oldest first.
    pub fn migration_names() -> Vec<String> {
        Migrator::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect()
    }

    /// Names of migrations not yet applied.
    pub async fn pending_migrations(&self) -> Result<Vec<String>, DbError> {
        Ok(Migrator::get_pending_migrations(&self.writer)
            .await?
            .iter()
            .map(|m| m.name().to_owned())
            .collect())
    }

    async fn migrate_locked(&self) -> Result<MigrationReport, DbError> {
        let applied = self.pending_migrations().await?;
        if !applied.is_empty() {
            Migrator::up(&self.writer, None).await?;
        }
        Ok(MigrationReport { applied })
    }

    async fn acquire_migration_lock(&self) -> Result<MigrationLock, DbError> {
        match &self.target {
            DatabaseTarget::Postgres { .. } => {
                let options = self.writer.get_postgres_connection_pool().connect_options();
                let mut conn = PgConnection::connect_with(&options).await?;
                sqlx::query("SELECT pg_advisory_lock($1)")
                    .bind(PG_LOCK_KEY)
                    .execute(&mut conn)
                    .await?;
                Ok(MigrationLock::Postgres(conn))
            }
            DatabaseTarget::MySql { .. } => {
                let options = self.writer.get_mysql_connection_pool().connect_options();
                let mut conn = MySqlConnection::connect_with(&options).await?;
                loop {
                    let acquired: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK(?, ?)")
                        .bind(MYSQL_LOCK_NAME)
                        .bind(MYSQL_LOCK_WAIT.as_secs() as i64)
                        .fetch_one(&mut conn)
                        .await?;
                    if acquired == Some(1) {
                        break;
                    }
                    tracing::info!("waiting for another process to finish migrating");
                }
                Ok(MigrationLock::MySql(conn))
            }
            DatabaseTarget::Sqlite { path } => {
                let lock_path = lock_file_path(path);
                let file = tokio::task::spawn_blocking(move || -> std::io::Result<File> {
                    let file = File::options()
                        .create(true)
                        .truncate(false)
                        .write(true)
                        .open(&lock_path)?;
                    file.lock()?;
                    Ok(file)
                })
                .await
                .map_err(|e| DbError::Unavailable(format!("migration lock task failed: {e}")))?
                .map_err(|e| {
                    DbError::Unavailable(format!("cannot lock {}: {e}", path.display()))
                })?;
                Ok(MigrationLock::Sqlite(file))
            }
        }
    }
}

impl MigrationLock {
    async fn release(self) -> Result<(), DbError> {
        match self {
            MigrationLock::Postgres(mut conn) => {
                sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(PG_LOCK_KEY)
                    .execute(&mut conn)
                    .await?;
                conn.close().await?;
            }
            MigrationLock::MySql(mut conn) => {
                sqlx::query("SELECT RELEASE_LOCK(?)")
                    .bind(MYSQL_LOCK_NAME)
                    .execute(&mut conn)
                    .await?;
                conn.close().await?;
            }
            MigrationLock::Sqlite(file) => {
                file.unlock()
                    .map_err(|e| DbError::Unavailable(format!("cannot unlock: {e}")))?;
            }
        }
        Ok(())
    }
}

/// `hearth.db` → `hearth.db.migrate-lock`, beside the database.
fn lock_file_path(database: &Path) -> std::path::PathBuf {
    let mut name = database.file_name().unwrap_or_default().to_os_string();
    name.push(".migrate-lock");
    database.with_file_name(name)
}
