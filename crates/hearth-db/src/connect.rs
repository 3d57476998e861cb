//! Opening the database: pools sized from the settings, SQLite pragmas, and the `Store` handle.

use std::path::Path;
use std::time::Duration;

use hearth_config::{DatabaseSettings, DatabaseTarget, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};
use sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous as Synchronous};

use crate::DbError;

/// Idle connections beyond `DATABASE_POOL_SIZE` are closed after this long (the "overflow").
const OVERFLOW_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// A handle on the relational database; cheap to clone and shared by every request.
#[derive(Clone, Debug)]
pub struct Store {
    /// Runs every write. On SQLite: exactly one connection, so writers queue instead of colliding.
    pub(crate) writer: DatabaseConnection,
    /// Runs reads. On SQLite: a pool of read-only connections; elsewhere the same pool as `writer`.
    pub(crate) reader: DatabaseConnection,
    pub(crate) target: DatabaseTarget,
}

/// Connections in use and idle, for `/metrics`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    pub in_use: u32,
    pub idle: u32,
    pub max: u32,
}

impl Store {
    /// Opens the database named by `target` with pool sizes and timeouts from `settings`.
    /// It does not migrate; call [`Store::migrate`].
    pub async fn connect(
        target: &DatabaseTarget,
        settings: &DatabaseSettings,
    ) -> Result<Self, DbError> {
        let acquire_timeout = Duration::from_secs(settings.database_pool_timeout);
        let pool_max = settings.database_pool_size + settings.database_pool_max_overflow;
        let (writer, reader) = match target {
            DatabaseTarget::Sqlite { path } => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
                    && !parent.is_dir()
                {
                    return Err(DbError::Unavailable(format!(
                        "DATABASE_URL: directory {} does not exist",
                        parent.display()
                    )));
                }
                let writer = connect_sqlite(path, settings, false, 1, acquire_timeout).await?;
                let reader =
                    connect_sqlite(path, settings, true, pool_max.max(2), acquire_timeout).await?;
                (writer, reader)
            }
            DatabaseTarget::Postgres { url } | DatabaseTarget::MySql { url } => {
                let mut options = ConnectOptions::new(url.expose().to_owned());
                options
                    .max_connections(pool_max)
                    .min_connections(settings.database_pool_size)
                    .idle_timeout(OVERFLOW_IDLE_TIMEOUT)
                    .acquire_timeout(acquire_timeout)
                    .connect_timeout(acquire_timeout)
                    .sqlx_logging(false);
                let pool = Database::connect(options).await.map_err(|e| {
                    DbError::Unavailable(format!(
                        "cannot connect to {}: {e}",
                        target.backend_name()
                    ))
                })?;
                (pool.clone(), pool)
            }
        };
        Ok(Self {
            writer,
            reader,
            target: target.clone(),
        })
    }

    /// Which backend this store talks to: `sqlite`, `postgres` or `mysql`.
    pub fn backend_name(&self) -> &'static str {
        self.target.backend_name()
    }

    /// Whether the database answers a trivial query, for `/ready`.
    pub async fn ping(&self) -> Result<(), DbError> {
        self.writer.execute_unprepared("SELECT 1").await?;
        if self.target.is_sqlite() {
            self.reader.execute_unprepared("SELECT 1").await?;
        }
        Ok(())
    }

    /// Connections in use and idle across this store's pools.
    pub fn pool_stats(&self) -> PoolStats {
        let mut stats = PoolStats::default();
        let mut add = |size: u32, idle: usize, max: u32| {
            let idle = idle as u32;
            stats.in_use += size.saturating_sub(idle);
            stats.idle += idle;
            stats.max += max;
        };
        match self.target {
            DatabaseTarget::Sqlite { .. } => {
                for conn in [&self.writer, &self.reader] {
                    let pool = conn.get_sqlite_connection_pool();
                    add(
                        pool.size(),
                        pool.num_idle(),
                        pool.options().get_max_connections(),
                    );
                }
            }
            DatabaseTarget::Postgres { .. } => {
                let pool = self.writer.get_postgres_connection_pool();
                add(
                    pool.size(),
                    pool.num_idle(),
                    pool.options().get_max_connections(),
                );
            }
            DatabaseTarget::MySql { .. } => {
                let pool = self.writer.get_mysql_connection_pool();
                add(
                    pool.size(),
                    pool.num_idle(),
                    pool.options().get_max_connections(),
                );
            }
        }
        stats
    }

    /// The server's connection limit (PostgreSQL `max_connections`, MySQL `@@max_connections`), to warn
    /// when pools across replicas could exceed it. `None` for SQLite.
    pub async fn server_max_connections(&self) -> Result<Option<u32>, DbError> {
        let sql = match self.writer.get_database_backend() {
            DbBackend::Postgres => "SELECT current_setting('max_connections')::int8 AS n",
            DbBackend::MySql => "SELECT CAST(@@max_connections AS SIGNED) AS n",
            _ => return Ok(None),
        };
        let row = self
            .writer
            .query_one_raw(sea_orm::Statement::from_string(
                self.writer.get_database_backend(),
                sql,
            ))
            .await?;
        Ok(row
            .and_then(|row| row.try_get::<i64>("", "n").ok())
            .map(|n| n as u32))
    }

    /// Closes every connection; in-flight queries finish first.
    pub async fn close(self) {
        let _ = self.writer.close().await;
        if self.target.is_sqlite() {
            let _ = self.reader.close().await;
        }
    }
}

async fn connect_sqlite(
    path: &Path,
    settings: &DatabaseSettings,
    read_only: bool,
    max_connections: u32,
    acquire_timeout: Duration,
) -> Result<DatabaseConnection, DbError> {
    let path = path.to_path_buf();
    let busy_timeout = Duration::from_millis(settings.database_sqlite_pragma_busy_timeout);
    let synchronous = match settings.database_sqlite_synchronous {
        SqliteSynchronous::Normal => Synchronous::Normal,
        SqliteSynchronous::Full => Synchronous::Full,
    };
    let mut options = ConnectOptions::new(format!("sqlite://{}", path.display()));
    options
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(acquire_timeout)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |opts| {
            opts.filename(&path)
                .create_if_missing(!read_only)
                .read_only(read_only)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(synchronous)
                .busy_timeout(busy_timeout)
                .foreign_keys(true)
                .pragma("temp_store", "memory")
        });
    Database::connect(options)
        .await
        .map_err(|e| DbError::Unavailable(format!("cannot open the SQLite database: {e}")))
}
