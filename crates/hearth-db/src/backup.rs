//! Consistent copies of SQLite files while their server keeps writing, for `hearth admin backup`.
//!
//! `VACUUM INTO` on a read-only connection is one read transaction: the copy is the database as
//! of one instant, it is written compact and whole (never a torn page), and in WAL mode writers are
//! never blocked while it runs. Every write acknowledged before the copy began is in it.

use std::path::Path;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection, Row};

use crate::DbError;

async fn open(path: &Path, read_only: bool) -> Result<SqliteConnection, DbError> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(read_only)
        .create_if_missing(false);
    Ok(SqliteConnection::connect_with(&options).await?)
}

/// Writes a consistent copy of the SQLite database `source` to `target` (which must not exist).
pub async fn snapshot_sqlite(source: &Path, target: &Path) -> Result<(), DbError> {
    if target.exists() {
        return Err(DbError::Conflict(format!(
            "{} already exists",
            target.display()
        )));
    }
    let mut connection = open(source, true).await?;
    let target = target.to_string_lossy().replace('\'', "''");
    sqlx::query(sqlx::AssertSqlSafe(format!("VACUUM INTO '{target}'")))
        .execute(&mut connection)
        .await?;
    connection.close().await?;
    Ok(())
}

/// SQLite's own verdict on a database file (`PRAGMA integrity_check`): `ok`, or what is wrong.
pub async fn check_sqlite(path: &Path) -> Result<String, DbError> {
    let mut connection = open(path, true).await?;
    let rows = sqlx::query("PRAGMA integrity_check")
        .fetch_all(&mut connection)
        .await?;
    connection.close().await?;
    Ok(rows
        .iter()
        .map(|row| row.try_get::<String, _>(0).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("; "))
}
